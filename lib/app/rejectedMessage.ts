import type { Deps } from '../deps';
import { MessageRejectedError } from '../domain/errors';
import type { Log } from '../adapters/logger';
import { METRIC } from '../adapters/metrics';
import * as sm from '../domain/stateMachine';
import type { TaskError } from '../domain/task';

/** Name of the error recorded on a task whose message the queue refused. */
export const MESSAGE_REJECTED = 'MessageRejected';

/**
 * Ends a task whose awaited message the queue refused as invalid: no send of that message can
 * ever succeed, so the task goes to FAILED (conditional on the state that waits for it) instead
 * of waiting for ever, and gets its one TASK_FAILED line, as the DLQ monitor writes for the others.
 * Returns false when the task had already moved on (nothing written, nothing logged).
 */
export async function failRejectedTask(
  task: { taskId: string; type: string; correlationId: string; payload: Record<string, unknown> },
  gate: sm.Gate,
  rejection: MessageRejectedError,
  deps: Pick<Deps, 'store' | 'clock' | 'metrics'>,
  log: Log,
): Promise<boolean> {
  const error: TaskError = { name: MESSAGE_REJECTED, message: rejection.message };
  const now = deps.clock();
  const result = await deps.store.transition(sm.failRejected(task.taskId, gate, error, now));
  if (!result.applied) {
    log.info('REJECTED_TASK_MOVED_ON', { taskId: task.taskId, status: result.current?.status ?? 'UNKNOWN_TASK' });
    return false;
  }
  deps.metrics.count(METRIC.TasksFailed, 1, task.type);
  deps.metrics.milliseconds(METRIC.EndToEndTime, now.getTime() - Date.parse(result.task.createdAt), task.type);
  log.error('TASK_FAILED', {
    taskId: task.taskId,
    type: task.type,
    permanent: true,
    payload: task.payload,
    error: error.message,
    errorName: error.name,
    attempts: result.task.attempts,
    source: 'MESSAGE_REJECTED',
    correlationId: task.correlationId,
  });
  return true;
}

/**
 * Sends the message a recorded transition owes. When the queue refuses it as invalid the task,
 * still in `gate`, ends FAILED (failRejectedTask) and 'REJECTED' is returned; other errors propagate.
 */
export async function sendOrFail(
  send: () => Promise<void>,
  task: { taskId: string; type: string; correlationId: string; payload: Record<string, unknown> },
  gate: sm.Gate,
  deps: Pick<Deps, 'store' | 'clock' | 'metrics'>,
  log: Log,
): Promise<'SENT' | 'REJECTED'> {
  try {
    await send();
    return 'SENT';
  } catch (error) {
    if (!(error instanceof MessageRejectedError)) throw error;
    await failRejectedTask(task, gate, error, deps, log);
    return 'REJECTED';
  }
}
