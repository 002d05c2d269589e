import type { Deps } from './deps';
import type { Log } from './logger';
import { METRIC } from './metrics';
import { parseDlqMessage } from './messages';
import * as sm from './stateMachine';
import type { TaskError } from './task';

export type MonitorOutcome = 'FAILED' | 'ALREADY_FAILED' | 'IGNORED';

/** Error recorded on the FAILED event of a message that SQS's RedrivePolicy moved to the DLQ. */
export const REDRIVE_POLICY_ERROR: TaskError = {
  name: 'MaxReceiveCountExceeded',
  message: 'the task queue gave up on this message after maxReceiveCount receives (RedrivePolicy)',
};

/**
 * Handles one DLQ message: marks the task FAILED (conditional, once) and logs one
 * TASK_FAILED line with taskId, payload and the error. The only place payloads are logged.
 */
export async function monitorDeadLetter(body: string, deps: Pick<Deps, 'store' | 'config' | 'clock' | 'metrics'>, log: Log): Promise<MonitorOutcome> {
  const parsed = parseDlqMessage(body, deps.config.maxAttempts);
  const now = deps.clock();
  const { taskId, payload } = parsed.message;
  const transition =
    parsed.kind === 'DEAD_LETTERED'
      ? sm.failDeadLettered(taskId, parsed.message.attempts, parsed.message.error, now)
      : sm.failRedriven(taskId, parsed.message.attempt, REDRIVE_POLICY_ERROR, now);
  const result = await deps.store.transition(transition);

  if (!result.applied) {
    if (result.current?.status === 'FAILED') {
      log.info('DUPLICATE_DLQ_MESSAGE', { taskId, status: 'FAILED', reason: 'task already FAILED' });
      return 'ALREADY_FAILED';
    }
    log.warn('STALE_DLQ_MESSAGE', { taskId, status: result.current?.status ?? 'UNKNOWN_TASK', source: parsed.kind });
    return 'IGNORED';
  }

  deps.metrics.count(METRIC.TasksFailed);
  deps.metrics.milliseconds(METRIC.EndToEndTime, now.getTime() - Date.parse(result.task.createdAt));
  const error =
    parsed.kind === 'DEAD_LETTERED'
      ? parsed.message.error.message
      : result.task.lastError
        ? `${result.task.lastError.message} (then: ${REDRIVE_POLICY_ERROR.message})`
        : `no error was recorded for this task; ${REDRIVE_POLICY_ERROR.message}`;
  log.error('TASK_FAILED', {
    taskId,
    payload,
    error,
    errorName: parsed.kind === 'DEAD_LETTERED' ? parsed.message.error.name : (result.task.lastError?.name ?? REDRIVE_POLICY_ERROR.name),
    attempts: result.task.attempts,
    source: parsed.kind,
    correlationId: result.task.correlationId,
  });
  return 'FAILED';
}
