import { remainingDelaySeconds, retryDelaySeconds } from '../domain/backoff';
import type { Deps } from '../deps';
import type { Log } from '../adapters/logger';
import { METRIC } from '../adapters/metrics';
import { PoisonMessageError } from '../domain/errors';
import { sendOrFail } from './rejectedMessage';
import { runAttempt } from './runAttempt';
import * as sm from '../domain/stateMachine';
import { deadLetterMessage, type TaskMessage, type TaskState } from '../domain/task';
import { MAX_DELAY_LIMIT } from '../types/registry';

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

/** Re-sends the message a recorded transition still owes, when this delivery is the one that recorded it. */
async function resendOwedMessage(message: TaskMessage, current: TaskState, deps: Deps, log: Log): Promise<ProcessOutcome> {
  const now = deps.clock();
  if (current.status === 'RETRY_SCHEDULED' && current.attempts === message.attempt) {
    const delaySeconds = remainingDelaySeconds(current.nextAttemptAt, now);
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
    const permanent = current.history.at(-1)?.permanent === true;
    const dlqMessage = deadLetterMessage(current, message.payload, current.lastError, current.updatedAt, permanent);
    const gate = { status: current.status, attempts: current.attempts };
    if ((await sendOrFail(() => deps.queue.deadLetter(dlqMessage), message, gate, deps, log)) === 'REJECTED') return 'FAILED';
    log.warn('DEAD_LETTER_RESENT', { status: current.status });
    return 'RESENT';
  }
  log.info('DELIVERY_IGNORED', { status: current.status, taskAttempts: current.attempts, reason: 'duplicate or stale delivery' });
  return 'IGNORED';
}

/**
 * Runs one attempt of a task, step-gated: claim (conditional), run the type's handler under its
 * deadline, then record the outcome (conditional, lease holder only) and send what follows it
 * (retry or DLQ). A permanent failure skips the remaining attempts.
 * Storage and queue errors propagate, so the caller reports the record as failed and SQS redelivers it.
 */
export async function processDelivery(message: TaskMessage, deps: Deps, log: Log): Promise<ProcessOutcome> {
  const { taskId, attempt } = message;
  const type = deps.types.get(message.type);
  // An unknown type is claimed and ended permanently below; its attempt count cannot be checked.
  if (type && attempt > type.policy.maxAttempts) {
    throw new PoisonMessageError(`message attempt ${attempt} is above the '${type.name}' type's maxAttempts (${type.policy.maxAttempts})`, {
      context: { taskId, type: type.name },
    });
  }
  const leaseId = deps.newId();
  const claimed = await deps.store.transition(sm.claim(taskId, attempt, deps.clock(), deps.config.leaseSeconds, leaseId));
  // A claim the SDK repeated after a lost response finds this delivery's own lease: it is ours.
  if (!claimed.applied && claimed.current?.leaseId !== leaseId) return notApplied(message, claimed.current, deps, log);

  const outcome = await runAttempt(type, message, log);
  const now = deps.clock();
  if (outcome.ok) {
    const done = await deps.store.transition(sm.succeed(taskId, attempt, leaseId, now, outcome.resultJson));
    if (!done.applied) return notApplied(message, done.current, deps, log);
    deps.metrics.count(METRIC.AttemptsSucceeded, 1, message.type);
    deps.metrics.milliseconds(METRIC.EndToEndTime, now.getTime() - Date.parse(done.task.createdAt), message.type);
    log.info('ATTEMPT_SUCCEEDED', { status: 'SUCCEEDED', type: message.type });
    return 'SUCCEEDED';
  }

  const { error: failure, permanent } = outcome;
  deps.metrics.count(METRIC.AttemptsFailed, 1, message.type);
  if (!permanent && type && attempt < type.policy.maxAttempts) {
    // A failure that asked for a minimum wait (HTTP Retry-After) gets at least that, within SQS's limit.
    const delaySeconds = Math.min(
      MAX_DELAY_LIMIT,
      Math.max(retryDelaySeconds(attempt, type.policy, deps.random), outcome.retryAfterSeconds),
    );
    const scheduled = await deps.store.transition(sm.scheduleRetry(taskId, attempt, leaseId, failure, now, delaySeconds));
    if (!scheduled.applied) return notApplied(message, scheduled.current, deps, log);
    const gate = { status: 'RETRY_SCHEDULED' as const, attempts: attempt };
    if (
      (await sendOrFail(() => deps.queue.enqueue({ ...message, attempt: attempt + 1 }, delaySeconds), message, gate, deps, log)) ===
      'REJECTED'
    )
      return 'FAILED';
    deps.metrics.count(METRIC.RetriesScheduled, 1, message.type);
    log.info('RETRY_SCHEDULED', { status: 'RETRY_SCHEDULED', type: message.type, error: failure, delaySeconds, nextAttempt: attempt + 1 });
    return 'RETRY_SCHEDULED';
  }

  const dead = await deps.store.transition(sm.deadLetter(taskId, attempt, leaseId, failure, now, permanent));
  if (!dead.applied) return notApplied(message, dead.current, deps, log);
  const gate = { status: 'DEAD_LETTERED' as const, attempts: attempt };
  if (
    (await sendOrFail(
      () =>
        deps.queue.deadLetter(deadLetterMessage({ ...message, attempts: attempt }, message.payload, failure, now.toISOString(), permanent)),
      message,
      gate,
      deps,
      log,
    )) === 'REJECTED'
  )
    return 'FAILED';
  deps.metrics.count(METRIC.TasksDeadLettered, 1, message.type);
  log.warn('DEAD_LETTERED', { status: 'DEAD_LETTERED', type: message.type, error: failure, permanent });
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
