import type { Deps } from '../deps';
import type { Log } from '../adapters/logger';
import { parseDlqMessage } from '../domain/messages';
import { METRIC } from '../adapters/metrics';
import * as sm from '../domain/stateMachine';
import type { TaskError } from '../domain/task';

export type MonitorOutcome = 'FAILED' | 'ALREADY_FAILED' | 'IGNORED';

/** Error recorded on the FAILED event of a message that SQS's RedrivePolicy moved to the DLQ. */
export const REDRIVE_POLICY_ERROR: TaskError = {
  name: 'MaxReceiveCountExceeded',
  message: 'the task queue gave up on this message after maxReceiveCount receives (RedrivePolicy)',
};

/**
 * Handles one DLQ message: marks the task FAILED (conditional, once) and logs one
 * TASK_FAILED line with taskId, payload and the error. The only place payloads are logged.
 *
 * The FAILED event records the DLQ message's id, so the line is written exactly once per
 * FAILED task: a duplicate copy (another message id) finds the task FAILED and logs nothing,
 * while the message whose own write's response was lost (repeated by the SDK, or redelivered
 * by SQS with the same message id) recognises its write and logs then.
 */
export async function failDeadLettered(
  body: string,
  deps: Pick<Deps, 'store' | 'config' | 'clock' | 'metrics'>,
  log: Log,
  messageId?: string,
): Promise<MonitorOutcome> {
  const parsed = parseDlqMessage(body, deps.config.maxAttempts);
  const now = deps.clock();
  const { taskId, payload } = parsed.message;
  const transition =
    parsed.kind === 'DEAD_LETTERED'
      ? sm.failDeadLettered(taskId, parsed.message.attempts, parsed.message.error, now, messageId, parsed.message.permanent === true)
      : sm.failRedriven(taskId, parsed.message.attempt, REDRIVE_POLICY_ERROR, now, messageId);
  const result = await deps.store.transition(transition);
  // This message's own FAILED write, whose response was lost (the SDK repeated it, or this is a
  // redelivery after the error): the task was never logged, so it is logged now.
  const ownWrite =
    !result.applied &&
    messageId !== undefined &&
    result.current?.status === 'FAILED' &&
    result.current.history.at(-1)?.messageId === messageId;

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
