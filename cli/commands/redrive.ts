import { failedTaskIds, redriveEach } from '../bulkRedrive';
import { statusBeforeLastEvent, table, taskDetails } from '../format';
import { EXIT, UsageError, oneTaskId, printJson, type Context } from '../context';

export const DEFAULT_RATE = 5;

/** The outcome of redrive --all, as --json prints it. */
export interface RedriveReport {
  dryRun: boolean;
  /** FAILED tasks found by paging through the listing. */
  found: number;
  /** Redrives per second. */
  rate: number;
  redriven: string[];
  /** 409: the task was no longer FAILED when its turn came. */
  skipped: { taskId: string; message: string }[];
  errors: { taskId: string; status?: number; code?: string; message: string }[];
  /** Set when a fatal error (auth, connection) stopped the run; tasks after it were not attempted. */
  aborted?: string;
}

/** tasks redrive <taskId> | tasks redrive --all [--rate N] [--dry-run] */
export async function redrive(ctx: Context): Promise<number> {
  const { all, rate, 'dry-run': dryRun } = ctx.values;
  if (!all) {
    if (rate !== undefined || dryRun) throw new UsageError('redrive: --rate and --dry-run go with --all', 'redrive');
    return redriveOne(ctx, oneTaskId(ctx, 'redrive'));
  }
  if (ctx.args.length > 0) throw new UsageError(`redrive: pass either a <taskId> or --all, not both`, 'redrive');
  let perSecond = DEFAULT_RATE;
  if (rate !== undefined) {
    perSecond = Number(rate);
    if (!/^\d+(\.\d+)?$/.test(rate.trim()) || !(perSecond > 0))
      throw new UsageError(`redrive: --rate must be a positive number of redrives per second, got '${rate}'`, 'redrive');
  }
  return redriveAll(ctx, perSecond, Boolean(dryRun));
}

async function redriveOne(ctx: Context, taskId: string): Promise<number> {
  const task = await ctx.client.redrive(taskId);
  if (ctx.json) printJson(ctx.io, task);
  else {
    const from = statusBeforeLastEvent(task);
    ctx.io.stdout(
      `Redrove task ${task.taskId}: ${from ? `${from} -> ` : ''}${task.status} with a fresh attempt budget (${task.attempts}/${task.maxAttempts})\n`,
    );
    ctx.io.stdout(taskDetails(task));
  }
  return EXIT.OK;
}

async function redriveAll(ctx: Context, rate: number, dryRun: boolean): Promise<number> {
  const { io } = ctx;
  const ids = await failedTaskIds(ctx.client);
  const report: RedriveReport = { dryRun, found: ids.length, rate, redriven: [], skipped: [], errors: [] };
  if (dryRun) {
    printReport(ctx, report, ids);
    return EXIT.OK;
  }

  const { fatal, ...outcome } = await redriveEach(ctx.client, ids, {
    rate,
    clock: io,
    onOutcome: (o, index) => {
      if (ctx.json) return;
      const progress = `(${index + 1}/${ids.length})`;
      if (o.result === 'redriven') io.stderr(`redriven ${o.taskId} ${progress}\n`);
      else if (o.result === 'skipped') io.stderr(`skipped  ${o.taskId} ${progress}: ${o.message}\n`);
      else io.stderr(`error    ${o.taskId} ${progress}: ${o.status} ${o.code}: ${o.message}\n`);
    },
  });
  Object.assign(report, outcome);
  printReport(ctx, report, ids);
  if (fatal) throw fatal;
  return report.errors.length > 0 ? EXIT.FAILURE : EXIT.OK;
}

function printReport(ctx: Context, report: RedriveReport, ids: string[]): void {
  const { io } = ctx;
  if (ctx.json) {
    printJson(io, report.dryRun ? { dryRun: true, found: report.found, rate: report.rate, taskIds: ids } : report);
    return;
  }
  if (report.dryRun) {
    io.stdout(
      `Dry run: ${report.found} FAILED task${report.found === 1 ? '' : 's'} would be redriven at ${report.rate}/s; nothing was changed.\n`,
    );
    for (const id of ids) io.stdout(`${id}\n`);
    return;
  }
  const attempted = report.redriven.length + report.skipped.length + report.errors.length;
  io.stdout(
    `Redrive of FAILED tasks at ${report.rate}/s: ${report.found} found` +
      (report.aborted ? `, ${attempted} attempted before stopping` : '') +
      '\n',
  );
  io.stdout(
    `  redriven  ${report.redriven.length}\n` +
      `  skipped   ${report.skipped.length}  (409: no longer FAILED)\n` +
      `  errors    ${report.errors.length}\n`,
  );
  if (report.aborted) io.stdout(`  stopped   ${report.aborted}\n`);
  const rows = [
    ...report.redriven.map((id) => [id, 'redriven', '']),
    ...report.skipped.map((s) => [s.taskId, 'skipped', s.message]),
    ...report.errors.map((e) => [e.taskId, 'error', `${e.status ?? ''} ${e.code ?? ''}: ${e.message}`.trim()]),
  ];
  if (rows.length > 0) io.stdout(`\n${table(['TASK ID', 'RESULT', 'DETAIL'], rows)}`);
}
