import type { Log } from '../adapters/logger';
import type { TaskError, TaskMessage } from '../domain/task';
import { isPermanent, retryAfterOf, type TaskContext } from '../types/contract';
import type { RegisteredType } from '../types/registry';

/** Longest error message kept: it is stored in the history and travels in the DLQ message. */
export const MAX_ERROR_MESSAGE_LENGTH = 1000;
/** Largest result stored (serialised as JSON): it lives in the task's state item, read by every GET. */
export const MAX_RESULT_BYTES = 64 * 1024;

/** What one attempt of a handler came to. */
export type AttemptOutcome =
  | { ok: true; resultJson?: string }
  | { ok: false; error: TaskError; permanent: boolean; retryAfterSeconds: number };

export function toTaskError(error: unknown): TaskError {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return {
    name: String(name).slice(0, 100),
    message: message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : message,
  };
}

const permanentFailure = (name: string, message: string): AttemptOutcome => ({
  ok: false,
  error: { name, message },
  permanent: true,
  retryAfterSeconds: 0,
});

/** The attempt ran past its type's timeoutSeconds (retryable): its signal was aborted and any late result is dropped. */
export class AttemptTimedOut extends Error {
  constructor(type: string, attempt: number, timeoutSeconds: number) {
    super(`attempt ${attempt} of a '${type}' task ran past its timeout of ${timeoutSeconds} s`);
    this.name = 'AttemptTimedOut';
  }
}

/** The result as stored, or a permanent failure when it cannot be (not JSON, or too large). */
function serialise(value: unknown): AttemptOutcome {
  if (value === undefined) return { ok: true };
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return permanentFailure('ResultNotSerializable', `the handler's result is not JSON-serialisable: ${toTaskError(error).message}`);
  }
  // A function or symbol serialises to nothing: no result.
  if (json === undefined) return { ok: true };
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_RESULT_BYTES)
    return permanentFailure('ResultTooLarge', `the handler's result is ${bytes} bytes as JSON; the maximum is ${MAX_RESULT_BYTES} bytes`);
  return { ok: true, resultJson: json };
}

/**
 * Runs one attempt of a task's handler with its policy's deadline: the context's signal aborts
 * when the deadline passes, and the attempt then fails with AttemptTimedOut whatever the
 * handler does later. Every failure is classified here: permanent (PermanentError, a result that
 * cannot be stored, an unknown type) or retryable, with the minimum delay it asked for.
 */
export async function runAttempt(type: RegisteredType | undefined, message: TaskMessage, log: Log): Promise<AttemptOutcome> {
  if (!type) return permanentFailure('UnknownTaskType', `task type '${message.type}' is not registered on this stage`);
  const { timeoutSeconds } = type.policy;
  const controller = new AbortController();
  const deadline = Date.now() + timeoutSeconds * 1000;
  const keys = { type: type.name };
  const ctx: TaskContext = {
    taskId: message.taskId,
    type: type.name,
    attempt: message.attempt,
    maxAttempts: type.policy.maxAttempts,
    correlationId: message.correlationId,
    log: {
      debug: (text, extra) => log.debug(text, { ...keys, ...extra }),
      info: (text, extra) => log.info(text, { ...keys, ...extra }),
      warn: (text, extra) => log.warn(text, { ...keys, ...extra }),
      error: (text, extra) => log.error(text, { ...keys, ...extra }),
    },
    signal: controller.signal,
    remainingMs: () => Math.max(0, deadline - Date.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new AttemptTimedOut(type.name, message.attempt, timeoutSeconds);
      controller.abort(error);
      reject(error);
    }, timeoutSeconds * 1000);
  });
  try {
    const value = await Promise.race([Promise.resolve().then(() => type.handle(message.payload, ctx)), timedOut]);
    // A stalled event loop can settle the handler before the deadline timer gets to run (or run
    // the handler's own later timer first): a result past the deadline is late all the same.
    if (Date.now() >= deadline) throw new AttemptTimedOut(type.name, message.attempt, timeoutSeconds);
    return serialise(value);
  } catch (error) {
    // A handler that rejects once the deadline has passed (its signal aborted, or its own timer on
    // remainingMs() fired) has timed out, whatever it threw.
    const timedOutNow = controller.signal.aborted || Date.now() >= deadline;
    const cause = timedOutNow ? (controller.signal.reason ?? new AttemptTimedOut(type.name, message.attempt, timeoutSeconds)) : error;
    return { ok: false, error: toTaskError(cause), permanent: isPermanent(cause), retryAfterSeconds: retryAfterOf(cause) };
  } finally {
    clearTimeout(timer);
    // Settles the race's loser, so a late rejection is not reported as unhandled.
    timedOut.catch(() => undefined);
  }
}
