import type { Deps } from '../deps';
import {
  MessageRejectedError,
  RedriveEnqueueFailedError,
  TaskMessageRejectedError,
  TaskNotFoundError,
  TaskStateConflictError,
} from '../domain/errors';
import { METRIC } from '../adapters/metrics';
import { failRejectedTask } from './rejectedMessage';
import * as sm from '../domain/stateMachine';
import type { TaskState } from '../domain/task';

/**
 * Puts a FAILED or CANCELLED task back to QUEUED with a fresh attempt budget and enqueues attempt 1.
 * The history is kept and gains a REDRIVEN event. Any other status: TaskStateConflictError (409).
 */
export async function redrive(taskId: string, deps: Pick<Deps, 'store' | 'queue' | 'clock' | 'log' | 'metrics'>): Promise<TaskState> {
  // Read the payload first: a redrive that cannot be enqueued must not change the task.
  const payload = await deps.store.getPayload(taskId);
  if (!payload) throw new TaskNotFoundError(taskId);
  const result = await deps.store.transition(sm.redrive(taskId, deps.clock()));
  if (!result.applied) {
    if (!result.current) throw new TaskNotFoundError(taskId);
    throw new TaskStateConflictError(taskId, result.current.status, 'only a FAILED or CANCELLED task can be redriven');
  }
  const { type, correlationId } = result.task;
  try {
    await deps.queue.enqueue({ taskId, type, attempt: 1, payload, correlationId }, 0);
  } catch (error) {
    if (error instanceof MessageRejectedError) {
      await failRejectedTask({ taskId, type, correlationId, payload }, { status: 'QUEUED', attempts: 0 }, error, deps, deps.log);
      throw new TaskMessageRejectedError(taskId, error);
    }
    // The task is QUEUED without a message: the reconciler re-enqueues overdue QUEUED tasks.
    throw new RedriveEnqueueFailedError(taskId, error);
  }
  deps.metrics.count(METRIC.TasksRedriven, 1, type);
  deps.log.info('TASK_REDRIVEN', { taskId, type, correlationId });
  return result.task;
}
