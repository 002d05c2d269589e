import type { Deps } from './deps';
import type { Log } from './logger';
import { parseDlqMessage } from './messages';
import { METRIC } from './metrics';
import * as sm from './stateMachine';
import type { TaskError } from './task';

export type MonitorOutcome = 'FAILED' | 'ALREADY_FAILED' | 'IGNORED';

/** Error recorded on the FAILED event of a message that SQS's RedrivePolicy moved to the DLQ. */
export const REDRIVE_POLICY_ERROR: TaskError = {
  name: 'MaxReceiveCountExceeded',
  message: 'the task queue gave up on this message after maxReceiveCount receives (RedrivePolicy)',
};

/**
 * Handles one DLQ message: logs one TASK_FAILED line with taskId, payload and the error,
 * then marks the task FAILED with a conditional write. The only place payloads are logged.
 *
 * The line is written before the write, after a read shows the task still waits for it:
 * a FAILED task then always has its line, even when the write's response is lost, and a
 * duplicate DLQ message of a FAILED task adds neither a line nor a transition. Only a
 * write that fails and is retried can log the same task twice (at-least-once).
 */
export async function monitorDeadLetter(body: string, deps: Pick<Deps, 'store' | 'config' | 'clock' | 'metrics'>, log: Log): Promise<MonitorOutcome> {
  const parsed = parseDlqMessage(body, deps.config.maxAttempts);
  const now = deps.clock();
  const { taskId, payload } = parsed.message;
  const transition =
    parsed.kind === 'DEAD_LETTERED'
      ? sm.failDeadLettered(taskId, parsed.message.attempts, parsed.message.error, now)
      : sm.failRedriven(taskId, parsed.message.attempt, REDRIVE_POLICY_ERROR, now);

  const current = await deps.store.get(taskId);
  if (current?.status === 'FAILED') {
    log.info('DUPLICATE_DLQ_MESSAGE', { taskId, status: 'FAILED', reason: 'task already FAILED' });
    return 'ALREADY_FAILED';
  }
  if (!current || !sm.applyTransition(current, transition)) {
    log.warn('STALE_DLQ_MESSAGE', { taskId, status: current?.status ?? 'UNKNOWN_TASK', source: parsed.kind });
    return 'IGNORED';
  }

  const lastError = parsed.kind === 'DEAD_LETTERED' ? parsed.message.error : current.lastError;
  log.error('TASK_FAILED', {
    taskId,
    payload,
    error:
      parsed.kind === 'DEAD_LETTERED'
        ? parsed.message.error.message
        : lastError
          ? `${lastError.message} (then: ${REDRIVE_POLICY_ERROR.message})`
          : `no error was recorded for this task; ${REDRIVE_POLICY_ERROR.message}`,
    errorName: lastError?.name ?? REDRIVE_POLICY_ERROR.name,
    attempts: current.attempts,
    source: parsed.kind,
    correlationId: current.correlationId,
  });

  const result = await deps.store.transition(transition);
  if (!result.applied) {
    // Another delivery of this message won the race between our read and our write.
    log.info('DUPLICATE_DLQ_MESSAGE', { taskId, status: result.current?.status, reason: 'concurrent delivery' });
    return 'ALREADY_FAILED';
  }
  deps.metrics.count(METRIC.TasksFailed);
  deps.metrics.milliseconds(METRIC.EndToEndTime, now.getTime() - Date.parse(result.task.createdAt));
  return 'FAILED';
}
