import { taskDetails } from '../format';
import type { TaskView } from '../client';
import { EXIT, UsageError, intOption, oneTaskId, printJson, type Context } from '../context';

/** The longest delayed start the API takes (SQS's DelaySeconds limit); checked here for a usage error before any request. */
export const MAX_DELAY_SECONDS = 900;

/** The payload from --payload or --payload-file ('-' = stdin); {} when neither is given. */
async function readPayload(ctx: Context): Promise<unknown> {
  const { payload, 'payload-file': file } = ctx.values;
  if (payload !== undefined && file !== undefined)
    throw new UsageError('submit: pass either --payload or --payload-file, not both', 'submit');
  let text: string;
  let source: string;
  if (payload !== undefined) {
    text = payload;
    source = '--payload';
  } else if (file !== undefined) {
    source = file === '-' ? 'standard input' : `--payload-file ${file}`;
    try {
      text = await ctx.io.readFile(file);
    } catch (error) {
      throw new UsageError(`submit: cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`, 'submit');
    }
  } else return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`submit: ${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, 'submit');
  }
}

/** When a task waiting for a delayed first attempt is due, and how far off that is by the local clock. */
function dueText(task: TaskView, now: number): string | undefined {
  if (task.status !== 'QUEUED' || task.nextAttemptAt === undefined) return undefined;
  const seconds = Math.ceil((Date.parse(task.nextAttemptAt) - now) / 1000);
  return `Delayed start: the first attempt is due at ${task.nextAttemptAt} (${seconds > 0 ? `in ${seconds}s` : 'now'})\n`;
}

/**
 * tasks submit <taskId> [--type NAME] [--delay SECONDS] [--payload JSON | --payload-file PATH]:
 * 202 new, 200 already there with this payload and type. With --file, many tasks (commands/submitFile.ts).
 */
export async function submit(ctx: Context): Promise<number> {
  if (ctx.values.file !== undefined) return (await import('./submitFile')).submitFile(ctx);
  if (ctx.values['batch-size'] !== undefined) throw new UsageError('submit: --batch-size goes with --file', 'submit');
  const taskId = oneTaskId(ctx, 'submit');
  const { type, delay } = ctx.values;
  const delaySeconds = delay === undefined ? undefined : intOption('delay', delay, 0, 0, MAX_DELAY_SECONDS);
  const payload = await readPayload(ctx);
  const { created, task } = await ctx.client.submit(taskId, payload, { type, delaySeconds });
  if (ctx.json) printJson(ctx.io, task);
  else {
    ctx.io.stdout(
      created
        ? `Submitted ${task.type} task ${task.taskId} (202: new task)\n`
        : `Task ${task.taskId} (${task.type}) was already submitted with this payload (200: nothing changed)\n`,
    );
    const due = dueText(task, ctx.io.now());
    if (due) ctx.io.stdout(due);
    ctx.io.stdout(taskDetails(task));
  }
  return EXIT.OK;
}
