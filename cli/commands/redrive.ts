import { ApiError, ConflictError, AuthError, ConnectionError, NotThisApiError } from '../client';
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

/**
 * Paces requests at `rate` per second: each start waits until 1000/rate ms after
 * the previous start. A slow request delays the next one but never causes a
 * catch-up burst after it, so consecutive starts are always >= 1000/rate ms apart.
 */
export class Pacer {
  private next = -Infinity;
  constructor(
    private readonly rate: number,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> },
  ) {}

  /** Resolves when the next request may start. */
  async turn(): Promise<void> {
    const wait = this.next - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
    this.next = this.clock.now() + 1000 / this.rate;
  }
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

/**
 * Every FAILED taskId, collected before any redrive so the listing does not shift under the cursor.
 * CANCELLED tasks are left out on purpose: someone stopped them, so each is redriven by name.
 */
async function failedTaskIds(ctx: Context): Promise<string[]> {
  const ids = new Set<string>();
  for await (const page of ctx.client.listAll({ status: 'FAILED', limit: 100 })) {
    for (const task of page.tasks) ids.add(task.taskId);
  }
  return [...ids];
}

async function redriveAll(ctx: Context, rate: number, dryRun: boolean): Promise<number> {
  const { io } = ctx;
  const ids = await failedTaskIds(ctx);
  const report: RedriveReport = { dryRun, found: ids.length, rate, redriven: [], skipped: [], errors: [] };
  if (dryRun) {
    printReport(ctx, report, ids);
    return EXIT.OK;
  }

  let fatal: unknown;
  const pacer = new Pacer(rate, io);
  for (const [index, taskId] of ids.entries()) {
    await pacer.turn();
    const progress = `(${index + 1}/${ids.length})`;
    try {
      await ctx.client.redrive(taskId);
      report.redriven.push(taskId);
      if (!ctx.json) io.stderr(`redriven ${taskId} ${progress}\n`);
    } catch (error) {
      if (error instanceof ConflictError) {
        report.skipped.push({ taskId, message: error.message });
        if (!ctx.json) io.stderr(`skipped  ${taskId} ${progress}: ${error.message}\n`);
      } else if (error instanceof AuthError || error instanceof ConnectionError || error instanceof NotThisApiError) {
        // Every later request would fail the same way: stop and say how far we got.
        report.aborted = error instanceof ApiError ? `${error.status} ${error.code}: ${error.message}` : error.message;
        fatal = error;
        break;
      } else if (error instanceof ApiError) {
        report.errors.push({ taskId, status: error.status, code: error.code, message: error.message });
        if (!ctx.json) io.stderr(`error    ${taskId} ${progress}: ${error.status} ${error.code}: ${error.message}\n`);
      } else throw error;
    }
  }
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
