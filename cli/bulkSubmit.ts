/**
 * Submitting many tasks through POST /tasks/batch: what `tasks submit --file` and
 * `npm run demo -- --batch` share. Reads NDJSON, cuts batches by count and by bytes, keeps a
 * few in flight, and retries what the API says is safe to retry. Nothing here prints.
 */
import { retryDelaySeconds, type BackoffPolicy } from '../lib/domain/backoff';
import { mapLimit } from '../lib/domain/concurrency';
import { describeType } from '../lib/domain/taskId';
import type { Clock } from './bulkRedrive';

export type { Clock } from './bulkRedrive';
import {
  ApiError,
  AuthError,
  ConnectionError,
  MAX_BATCH_TASKS,
  NotThisApiError,
  type BatchTask,
  type TasksClient,
  type TaskView,
} from './client';

/** The API's default body limit (lib/config.ts MAX_BODY_BYTES): a batch request is held to it as a whole. */
export const MAX_REQUEST_BYTES = 240 * 1024;
/** Batches in flight at once: enough to overlap round trips, few enough not to be throttled. */
export const DEFAULT_IN_FLIGHT = 4;
/** Requests a task is part of at most: the first and four retries (1, 2, 4, 8 s apart, or longer if Retry-After says so). */
export const DEFAULT_MAX_ATTEMPTS = 5;
const RETRY_BACKOFF: BackoffPolicy = { baseSeconds: 1, maxDelaySeconds: 30, jitter: 'none' };

/** A task read from the input, with its 1-based line number for messages. */
export interface TaskLine {
  line: number;
  task: BatchTask;
}

/** A line that is not a task: not JSON, or JSON but not an object. */
export interface LineProblem {
  line: number;
  problem: string;
}

/**
 * One JSON object per line (LF or CRLF; blank lines skipped; a leading BOM ignored). Only the
 * JSON is checked here: what a task must hold is the API's to say, per task.
 */
export function parseTaskLines(text: string): { tasks: TaskLine[]; problems: LineProblem[] } {
  const tasks: TaskLine[] = [];
  const problems: LineProblem[] = [];
  for (const [i, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .entries()) {
    const line = i + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, problem: `not JSON: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      problems.push({ line, problem: `not a JSON object: got ${describeType(value)}` });
    else tasks.push({ line, task: value as BatchTask });
  }
  return { tasks, problems };
}

/** UTF-8 bytes of a text (TextEncoder, not Buffer: the console's bundle reads NDJSON with this module too). */
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** Bytes of `{"tasks":[]}`, the envelope around a batch's tasks. */
const ENVELOPE_BYTES = utf8Bytes(JSON.stringify({ tasks: [] }));

/**
 * Consecutive batches of at most `batchSize` tasks whose request bodies (as JSON.stringify writes
 * them) stay within `maxBytes`. A task too large for a request of its own is left out, in `tooLarge`.
 */
export function cutBatches(
  tasks: readonly TaskLine[],
  batchSize: number,
  maxBytes = MAX_REQUEST_BYTES,
): { batches: TaskLine[][]; tooLarge: { task: TaskLine; bytes: number }[] } {
  const batches: TaskLine[][] = [];
  const tooLarge: { task: TaskLine; bytes: number }[] = [];
  let current: TaskLine[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const task of tasks) {
    const size = utf8Bytes(JSON.stringify(task.task));
    if (ENVELOPE_BYTES + size > maxBytes) {
      tooLarge.push({ task, bytes: ENVELOPE_BYTES + size });
      continue;
    }
    const added = current.length === 0 ? size : size + 1; // the comma before it
    if (current.length === batchSize || bytes + added > maxBytes) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    bytes += current.length === 0 ? size : size + 1;
    current.push(task);
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge };
}

/** The error of one task's answer, or of the request that carried it. */
export interface OutcomeError {
  code: string;
  message: string;
  details?: unknown;
}

/** What became of one task: the API's answer (its last, after retries), or `statusCode` null when it was never sent. */
export interface TaskOutcome {
  line: number;
  taskId?: string;
  statusCode: number | null;
  task?: TaskView;
  error?: OutcomeError;
}

export interface BulkSubmitOptions {
  /** Tasks per request, 1 to MAX_BATCH_TASKS. */
  batchSize: number;
  clock: Clock;
  /** Request body limit; default MAX_REQUEST_BYTES. */
  maxBytes?: number;
  inFlight?: number;
  maxAttempts?: number;
  correlationId?: string;
  /** Called whenever a request is answered, with how many tasks have a final outcome. */
  onProgress?: (progress: { done: number; total: number; requests: number; retries: number }) => void;
}

export interface BulkSubmitResult {
  /** One per task, in input order. */
  outcomes: TaskOutcome[];
  /** Requests answered (retries included). */
  requests: number;
  /** Requests that were retries of 503 tasks or of a whole request. */
  retries: number;
  /** Why the run stopped early (auth, connection, not this API, an answer of another shape); later tasks were not sent. */
  aborted?: string;
  /** The error that stopped the run, when one did. */
  fatal?: unknown;
}

/** Whether an outcome is a task the API holds: 202 new or 200 already there. */
export const accepted = (outcome: TaskOutcome): boolean => outcome.statusCode === 202 || outcome.statusCode === 200;

const taskIdOf = (task: BatchTask): string | undefined => (typeof task.taskId === 'string' ? task.taskId : undefined);

/** A whole-request answer worth repeating: throttled, or the API failed. */
const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** An error that every later request would meet as well. */
const isFatal = (error: unknown): boolean =>
  error instanceof AuthError ||
  error instanceof ConnectionError ||
  error instanceof NotThisApiError ||
  (error instanceof ApiError && error.code === 'BAD_RESPONSE');

/**
 * Sends `tasks` in batches, `inFlight` requests at a time. Tasks answered 503 are sent again, and
 * so is a whole request answered 429 or 5xx (both are safe to repeat: done tasks come back 200),
 * after the Retry-After or the backoff, whichever is longer, up to `maxAttempts` requests per task.
 * A rejected key, an unreachable API or an answer of another shape stops the run.
 */
export async function submitInBatches(
  client: Pick<TasksClient, 'submitBatch'>,
  tasks: readonly TaskLine[],
  options: BulkSubmitOptions,
): Promise<BulkSubmitResult> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > MAX_BATCH_TASKS)
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_TASKS}, got ${options.batchSize}`);
  const maxBytes = options.maxBytes ?? MAX_REQUEST_BYTES;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const { batches, tooLarge } = cutBatches(tasks, options.batchSize, maxBytes);
  const slot = new Map(tasks.map((t, i) => [t, i]));
  const result: BulkSubmitResult = {
    outcomes: tasks.map((t) => ({ line: t.line, taskId: taskIdOf(t.task), statusCode: null })),
    requests: 0,
    retries: 0,
  };
  let done = 0;
  const set = (t: TaskLine, outcome: Omit<TaskOutcome, 'line'>) => {
    result.outcomes[slot.get(t)!] = { line: t.line, ...outcome };
  };
  for (const { task, bytes } of tooLarge) {
    const message = `line ${task.line} is ${bytes} bytes as a request of its own; a request holds at most ${maxBytes}`;
    set(task, { taskId: taskIdOf(task.task), statusCode: 413, error: { code: 'PAYLOAD_TOO_LARGE', message } });
    done++;
  }
  const progress = () => options.onProgress?.({ done, total: tasks.length, requests: result.requests, retries: result.retries });

  await mapLimit(batches, options.inFlight ?? DEFAULT_IN_FLIGHT, async (batch) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0 && !result.aborted; attempt++) {
      let again: TaskLine[] = [];
      let retryAfter: number | undefined;
      try {
        const answer = await client.submitBatch(
          pending.map((t) => t.task),
          options.correlationId ? { correlationId: options.correlationId } : {},
        );
        answer.results.forEach((item, i) => {
          const t = pending[i];
          if ('task' in item) set(t, { taskId: item.taskId, statusCode: item.statusCode, task: item.task });
          else set(t, { taskId: item.taskId ?? taskIdOf(t.task), statusCode: item.statusCode, error: item.error });
          if (item.statusCode === 503) again.push(t);
        });
        retryAfter = answer.retryAfterSeconds;
      } catch (error) {
        if (isFatal(error)) {
          result.aborted ??= error instanceof ApiError ? `${error.status} ${error.code}: ${error.message}` : (error as Error).message;
          result.fatal ??= error;
          return;
        }
        if (!(error instanceof ApiError)) throw error;
        const failure = { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
        for (const t of pending) set(t, { taskId: taskIdOf(t.task), statusCode: error.status, error: failure });
        if (retryableStatus(error.status)) again = pending;
        retryAfter = error.retryAfterSeconds;
      }
      result.requests++;
      if (attempt > 1) result.retries++;
      if (again.length === 0 || attempt >= maxAttempts) {
        done += pending.length;
        progress();
        return;
      }
      done += pending.length - again.length;
      progress();
      const backoffMs = retryDelaySeconds(attempt, RETRY_BACKOFF) * 1000;
      await options.clock.sleep(Math.max(backoffMs, (retryAfter ?? 0) * 1000));
      pending = again;
    }
  });
  return result;
}
