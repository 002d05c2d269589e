/**
 * Redriving many FAILED tasks, paced: what `tasks redrive --all` and the console's
 * "redrive selected" and "redrive all FAILED" share. The client is the API client of
 * cli/client.ts; nothing here prints or touches the DOM.
 */
import { ApiError, AuthError, ConflictError, ConnectionError, NotThisApiError, type TasksClient } from './client';

/** Milliseconds since the epoch, and a sleep: the real clock or a test's. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
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
    private readonly clock: Clock,
  ) {}

  /** Resolves when the next request may start. */
  async turn(): Promise<void> {
    const wait = this.next - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
    this.next = this.clock.now() + 1000 / this.rate;
  }
}

/**
 * Every FAILED taskId, collected before any redrive so the listing does not shift under the cursor.
 * CANCELLED tasks are left out on purpose: someone stopped them, so each is redriven by name.
 */
export async function failedTaskIds(client: Pick<TasksClient, 'listAll'>, onPage?: (found: number) => void): Promise<string[]> {
  const ids = new Set<string>();
  for await (const page of client.listAll({ status: 'FAILED', limit: 100 })) {
    for (const task of page.tasks) ids.add(task.taskId);
    onPage?.(ids.size);
  }
  return [...ids];
}

/** What happened to one task of the run. */
export type RedriveOutcome =
  | { taskId: string; result: 'redriven' }
  | { taskId: string; result: 'skipped'; message: string }
  | { taskId: string; result: 'error'; status?: number; code?: string; message: string };

export interface BulkRedriveResult {
  redriven: string[];
  /** 409: the task was no longer FAILED when its turn came. */
  skipped: { taskId: string; message: string }[];
  errors: { taskId: string; status?: number; code?: string; message: string }[];
  /** Why the run stopped early (auth, connection, not this API, or `shouldStop`); tasks after it were not attempted. */
  aborted?: string;
  /** The error that stopped the run, when one did. */
  fatal?: unknown;
}

export interface BulkRedriveOptions {
  /** Redrives per second. */
  rate: number;
  clock: Clock;
  /** Called after each task, with its index in `ids`. */
  onOutcome?: (outcome: RedriveOutcome, index: number) => void;
  /** Checked before each task: true stops the run (a user's Stop). */
  shouldStop?: () => boolean;
}

/**
 * Redrives `ids` one at a time at `rate` per second. A 409 is skipped, another API error is
 * recorded and the run goes on; a rejected key, an unreachable API or a URL that is not this
 * API stops it, since every later request would fail the same way.
 */
export async function redriveEach(
  client: Pick<TasksClient, 'redrive'>,
  ids: string[],
  options: BulkRedriveOptions,
): Promise<BulkRedriveResult> {
  const result: BulkRedriveResult = { redriven: [], skipped: [], errors: [] };
  const pacer = new Pacer(options.rate, options.clock);
  for (const [index, taskId] of ids.entries()) {
    if (options.shouldStop?.()) {
      result.aborted = 'stopped';
      break;
    }
    await pacer.turn();
    let outcome: RedriveOutcome;
    try {
      await client.redrive(taskId);
      outcome = { taskId, result: 'redriven' };
      result.redriven.push(taskId);
    } catch (error) {
      if (error instanceof ConflictError) {
        outcome = { taskId, result: 'skipped', message: error.message };
        result.skipped.push({ taskId, message: error.message });
      } else if (error instanceof AuthError || error instanceof ConnectionError || error instanceof NotThisApiError) {
        result.aborted = error instanceof ApiError ? `${error.status} ${error.code}: ${error.message}` : error.message;
        result.fatal = error;
        break;
      } else if (error instanceof ApiError) {
        const failure = { taskId, status: error.status, code: error.code, message: error.message };
        outcome = { ...failure, result: 'error' };
        result.errors.push(failure);
      } else throw error;
    }
    options.onOutcome?.(outcome, index);
  }
  return result;
}
