import type { Deps } from '../deps';
import type { Log } from '../adapters/logger';
import { parseDlqMessage } from '../domain/messages';
import { METRIC } from '../adapters/metrics';
import * as sm from '../domain/stateMachine';
import type { TaskError, TaskState } from '../domain/task';
import type { Transition, TransitionResult } from '../domain/stateMachine';
import type { TaskStore } from '../adapters/taskStore';

export type MonitorOutcome = 'FAILED' | 'ALREADY_FAILED' | 'IGNORED';

/** Error recorded on the FAILED event of a message that SQS's RedrivePolicy moved to the DLQ. */
export const REDRIVE_POLICY_ERROR: TaskError = {
  name: 'MaxReceiveCountExceeded',
  message: 'the task queue gave up on this message after maxReceiveCount receives (RedrivePolicy)',
};

/** Reads of the task after a FAILED write whose outcome is unknown, before the message goes back to SQS. */
export const READ_BACK_ATTEMPTS = 3;

/** Whether `task` is FAILED by this very delivery's write. */
const failedBy = (task: TaskState | undefined, deliveryId: string) =>
  task?.status === 'FAILED' && task.history.at(-1)?.deliveryId === deliveryId;

/**
 * The FAILED write; when it throws (its response may be lost after it landed), the task is read
 * back, since only this delivery can recognise its own write. A task found FAILED is answered
 * as a refused write; else the error stands and SQS redelivers the message.
 */
async function writeFailed(store: TaskStore, transition: Transition): Promise<TransitionResult> {
  try {
    return await store.transition(transition);
  } catch (error) {
    for (let read = 1; read <= READ_BACK_ATTEMPTS; read++) {
      try {
        const current = await store.get(transition.taskId);
        if (current?.status === 'FAILED') return { applied: false, current };
        break;
      } catch {
        // Read again: the write's fate is still unknown.
      }
    }
    throw error;
  }
}

/**
 * Handles one DLQ message: marks the task FAILED (conditional, once) and logs one
 * TASK_FAILED line with taskId, payload and the error. The only place payloads are logged.
 *
 * Each handling writes a fresh deliveryId on the FAILED event and logs only when its own write
 * landed: applied, or found on the task (the SDK repeated a write whose response was lost, or
 * the read-back after an error). SQS may deliver one message twice (a redelivery, or a copy
 * while the first is in flight): the messageId is the same, so it cannot tell the deliveries
 * apart; the deliveryId can, and the other delivery logs DUPLICATE_DLQ_MESSAGE.
 */
export async function failDeadLettered(
  body: string,
  deps: Pick<Deps, 'store' | 'config' | 'clock' | 'metrics' | 'newId'>,
  log: Log,
  messageId?: string,
): Promise<MonitorOutcome> {
  const parsed = parseDlqMessage(body, deps.config.maxAttempts);
  const now = deps.clock();
  const { taskId, payload } = parsed.message;
  const handling = { ...(messageId ? { messageId } : {}), deliveryId: deps.newId() };
  const transition =
    parsed.kind === 'DEAD_LETTERED'
      ? sm.failDeadLettered(taskId, parsed.message.attempts, parsed.message.error, now, handling, parsed.message.permanent === true)
      : sm.failRedriven(taskId, parsed.message.attempt, REDRIVE_POLICY_ERROR, now, handling);
  const result = await writeFailed(deps.store, transition);
  const ownWrite = !result.applied && failedBy(result.current, handling.deliveryId);

  if (!result.applied && !ownWrite) {
    if (result.current?.status === 'FAILED') {
      log.info('DUPLICATE_DLQ_MESSAGE', { taskId, status: 'FAILED', reason: 'task already FAILED' });
      return 'ALREADY_FAILED';
    }
    log.warn('STALE_DLQ_MESSAGE', { taskId, status: result.current?.status ?? 'UNKNOWN_TASK', source: parsed.kind });
    return 'IGNORED';
  }

  const task = result.applied ? result.task : result.current!;
  deps.metrics.count(METRIC.TasksFailed, 1, task.type);
  deps.metrics.milliseconds(METRIC.EndToEndTime, now.getTime() - Date.parse(task.createdAt), task.type);
  // Permanent: the message says so, or the DEAD_LETTERED event does (a DLQ message the reconciler re-sent).
  const permanent =
    parsed.kind === 'DEAD_LETTERED' &&
    (parsed.message.permanent === true ||
      task.history.some((e) => e.type === 'DEAD_LETTERED' && e.permanent === true && e.attempt === task.attempts));
  const error =
    parsed.kind === 'DEAD_LETTERED'
      ? parsed.message.error.message
      : task.lastError
        ? `${task.lastError.message} (then: ${REDRIVE_POLICY_ERROR.message})`
        : `no error was recorded for this task; ${REDRIVE_POLICY_ERROR.message}`;
  log.error('TASK_FAILED', {
    taskId,
    type: task.type,
    permanent,
    payload,
    error,
    errorName: parsed.kind === 'DEAD_LETTERED' ? parsed.message.error.name : (task.lastError?.name ?? REDRIVE_POLICY_ERROR.name),
    attempts: task.attempts,
    source: parsed.kind,
    correlationId: task.correlationId,
  });
  return 'FAILED';
}
