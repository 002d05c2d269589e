import { TASK_STATUSES, TaskStatusSchema, type TaskStatus } from '../../lib/domain/task';
import type { TaskPage, TaskSummary } from '../client';
import { summaryTable } from '../format';
import { EXIT, UsageError, intOption, printJson, type Context } from '../context';

export const MAX_PAGE_SIZE = 100;

/** The --status option, case-insensitive, checked against the known statuses. */
export function statusOption(raw: string | undefined, command: string): TaskStatus {
  if (raw === undefined) throw new UsageError(`${command}: --status is required (one of ${TASK_STATUSES.join(', ')})`, command);
  const status = TaskStatusSchema.safeParse(raw.toUpperCase());
  if (!status.success) throw new UsageError(`${command}: --status must be one of ${TASK_STATUSES.join(', ')}, got '${raw}'`, command);
  return status.data;
}

/** tasks list --status S [--limit N] [--cursor C | --all]: newest first; --all follows cursors to the end. */
export async function list(ctx: Context): Promise<number> {
  if (ctx.args.length > 0) throw new UsageError(`list: unexpected argument '${ctx.args[0]}' (use --status)`, 'list');
  const status = statusOption(ctx.values.status, 'list');
  const limit = ctx.values.limit === undefined ? undefined : intOption('limit', ctx.values.limit, 20, 1, MAX_PAGE_SIZE);
  if (ctx.values.all && ctx.values.cursor) throw new UsageError('list: pass either --all or --cursor, not both', 'list');

  let page: TaskPage;
  if (ctx.values.all) {
    const tasks: TaskSummary[] = [];
    for await (const p of ctx.client.listAll({ status, limit })) tasks.push(...p.tasks);
    page = { status, tasks, cursor: null };
  } else {
    page = await ctx.client.list({ status, limit, cursor: ctx.values.cursor });
  }

  if (ctx.json) printJson(ctx.io, page);
  else if (page.tasks.length === 0) ctx.io.stdout(`No ${status} tasks${ctx.values.cursor ? ' on this page' : ''}.\n`);
  else ctx.io.stdout(summaryTable(page.tasks));
  if (!ctx.json && page.cursor) {
    ctx.io.stderr(`More tasks: tasks list --status ${status}${limit ? ` --limit ${limit}` : ''} --cursor ${page.cursor} (or --all)\n`);
  }
  return EXIT.OK;
}
