import { retryDelaySeconds } from '../domain/backoff';
import type { Deps } from '../deps';
import type { Log } from '../adapters/logger';
import { METRIC } from '../adapters/metrics';
import { sendOrFail } from './rejectedMessage';
import { simulateWork } from '../domain/simulation';
import * as sm from '../domain/stateMachine';
import { deadLetterMessage, type TaskError, type TaskMessage, type TaskState } from '../domain/task';

/** What one delivery of a task message led to. */
export type ProcessOutcome =
  | 'SUCCEEDED'
  | 'RETRY_SCHEDULED'
  | 'DEAD_LETTERED'
  /** A retry or DLQ send whose transition was recorded but whose message was not sent: sent now. */
  | 'RESENT'
  /** A duplicate or stale delivery: acknowledged, nothing done. */
  | 'IGNORED'
  /** The retry or DLQ message was refused by the queue as invalid: the task ended FAILED. */
  | 'FAILED';

/** Longest error message kept: it is stored in the history and travels in the DLQ message. */
export const MAX_ERROR_MESSAGE_LENGTH = 1000;

function toTaskError(error: unknown): TaskError {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return {
    name: String(name).slice(0, 100),
    message: message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : message,
  };
}

/** Re-sends the message a recorded transition still owes, when this delivery is the one that recorded it. */
async function resendOwedMessage(message: TaskMessage, current: TaskState, deps: Deps, log: Log): Promise<ProcessOutcome> {
  const now = deps.clock();
  if (current.status === 'RETRY_SCHEDULED' && current.attempts === message.attempt) {
    const due = current.nextAttemptAt ? Date.parse(current.nextAttemptAt) : now.getTime();
    const delaySeconds = Math.min(deps.config.backoff.maxDelaySeconds, Math.max(0, Math.ceil((due - now.getTime()) / 1000)));
    const gate = { status: current.status, attempts: current.attempts };
    if (
      (await sendOrFail(() => deps.queue.enqueue({ ...message, attempt: message.attempt + 1 }, delaySeconds), message, gate, deps, log)) ===
      'REJECTED'
    )
      return 'FAILED';
    log.warn('RETRY_RESENT', { status: current.status, delaySeconds });
    return 'RESENT';
  }
  if (current.status === 'DEAD_LETTERED' && current.attempts === message.attempt) {
    const dlqMessage = deadLetterMessage(current, message.payload, current.lastError, current.updatedAt);
    const gate = { status: current.status, attempts: current.attempts };
    if ((await sendOrFail(() => deps.queue.deadLetter(dlqMessage), message, gate, deps, log)) === 'REJECTED') return 'FAILED';
    log.warn('DEAD_LETTER_RESENT', { status: current.status });
    return 'RESENT';
  }
  log.info('DELIVERY_IGNORED', { status: current.status, taskAttempts: current.attempts, reason: 'duplicate or stale delivery' });
  return 'IGNORED';
}

/**
 * Runs one attempt of a task, step-gated: claim (conditional), work, then record the
 * outcome (conditional, lease holder only) and send what follows it (retry or DLQ).
 * Storage and queue errors propagate, so the caller reports the record as failed and SQS redelivers it.
 */
export async function processDelivery(message: TaskMessage, deps: Deps, log: Log): Promise<ProcessOutcome> {
  const { taskId, attempt } = message;
  const leaseId = deps.newId();
  const claimed = await deps.store.transition(sm.claim(taskId, attempt, deps.clock(), deps.config.leaseSeconds, leaseId));
  // A claim the SDK repeated after a lost response finds this delivery's own lease: it is ours.
  if (!claimed.applied && claimed.current?.leaseId !== leaseId) return notApplied(message, claimed.current, deps, log);

  let failure: TaskError | undefined;
  try {
    simulateWork(message.payload, attempt, {
      failureRate: deps.config.failureRate,
      allowOverride: deps.config.allowSimulationOverride,
      random: deps.random,
    });
  } catch (error) {
    failure = toTaskError(error);
  }

  const now = deps.clock();
  if (!failure) {
    const done = await deps.store.transition(sm.succeed(taskId, attempt, leaseId, now));
    if (!done.applied) return notApplied(message, done.current, deps, log);
    deps.metrics.count(METRIC.AttemptsSucceeded);
    deps.metrics.milliseconds(METRIC.EndToEndTime, now.getTime() - Date.parse(done.task.createdAt));
    log.info('ATTEMPT_SUCCEEDED', { status: 'SUCCEEDED' });
    return 'SUCCEEDED';
  }

  deps.metrics.count(METRIC.AttemptsFailed);
  if (attempt < deps.config.maxAttempts) {
    const delaySeconds = retryDelaySeconds(attempt, deps.config.backoff, deps.random);
    const scheduled = await deps.store.transition(sm.scheduleRetry(taskId, attempt, leaseId, failure, now, delaySeconds));
    if (!scheduled.applied) return notApplied(message, scheduled.current, deps, log);
    const gate = { status: 'RETRY_SCHEDULED' as const, attempts: attempt };
    if (
      (await sendOrFail(() => deps.queue.enqueue({ ...message, attempt: attempt + 1 }, delaySeconds), message, gate, deps, log)) ===
      'REJECTED'
    )
      return 'FAILED';
    deps.metrics.count(METRIC.RetriesScheduled);
    log.info('RETRY_SCHEDULED', { status: 'RETRY_SCHEDULED', error: failure, delaySeconds, nextAttempt: attempt + 1 });
    return 'RETRY_SCHEDULED';
  }

  const dead = await deps.store.transition(sm.deadLetter(taskId, attempt, leaseId, failure, now));
  if (!dead.applied) return notApplied(message, dead.current, deps, log);
  const gate = { status: 'DEAD_LETTERED' as const, attempts: attempt };
  if (
    (await sendOrFail(
      () => deps.queue.deadLetter(deadLetterMessage({ ...message, attempts: attempt }, message.payload, failure, now.toISOString())),
      message,
      gate,
      deps,
      log,
    )) === 'REJECTED'
  )
    return 'FAILED';
  deps.metrics.count(METRIC.TasksDeadLettered);
  log.warn('DEAD_LETTERED', { status: 'DEAD_LETTERED', error: failure });
  return 'DEAD_LETTERED';
}

/**
 * A write of this delivery that did not apply: a duplicate or stale delivery, our own write
 * repeated by the SDK after a lost response, or a lease lost to another delivery. The task's
 * current state says what is still owed (a retry or DLQ message), and sending it again is harmless.
 */
function notApplied(message: TaskMessage, current: TaskState | undefined, deps: Deps, log: Log): Promise<ProcessOutcome> {
  if (current) return resendOwedMessage(message, current, deps, log);
  log.warn('DELIVERY_IGNORED', { reason: 'unknown task' });
  return Promise.resolve('IGNORED');
}
