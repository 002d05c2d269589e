import type { Deps } from '../deps';
import { TaskNotFoundError, TaskStateConflictError } from '../domain/errors';
import { METRIC } from '../adapters/metrics';
import * as sm from '../domain/stateMachine';
import type { TaskState } from '../domain/task';

/** Why a task in this status cannot be cancelled (the 409's message). */
function refusal(status: TaskState['status']): string {
  if (status === 'PROCESSING') return 'an attempt is running; cancel applies to a task waiting in the queue (QUEUED or RETRY_SCHEDULED)';
  if (status === 'DEAD_LETTERED') return 'its attempts are over and it is on its way to FAILED';
  return 'it has finished; only a QUEUED or RETRY_SCHEDULED task can be cancelled';
}

/**
 * Cancels a task that waits in the queue (QUEUED or RETRY_SCHEDULED): CANCELLED, a terminal
 * status. The message still in the queue for it is absorbed by the claim gates when it arrives.
 * Cancelling a CANCELLED task again returns it unchanged (idempotent). Other statuses:
 * TaskStateConflictError (409).
 */
export async function cancel(taskId: string, deps: Pick<Deps, 'store' | 'clock' | 'log' | 'metrics'>): Promise<TaskState> {
  // The state read decides the gate: a task that moves on in between is read again.
  for (let round = 0; round < 5; round++) {
    const task = await deps.store.get(taskId);
    if (!task) throw new TaskNotFoundError(taskId);
    if (task.status === 'CANCELLED') return task;
    if (task.status !== 'QUEUED' && task.status !== 'RETRY_SCHEDULED')
      throw new TaskStateConflictError(taskId, task.status, refusal(task.status));
    const result = await deps.store.transition(sm.cancel(taskId, { status: task.status, attempts: task.attempts }, deps.clock()));
    if (result.applied) {
      deps.metrics.count(METRIC.TasksCancelled, 1, task.type);
      deps.log.info('TASK_CANCELLED', {
        taskId,
        type: task.type,
        status: 'CANCELLED',
        attempts: task.attempts,
        correlationId: task.correlationId,
      });
      return result.task;
    }
  }
  // Five moves between a read and a write: it is running attempts right now.
  const current = await deps.store.get(taskId);
  if (current?.status === 'CANCELLED') return current;
  throw new TaskStateConflictError(taskId, current?.status ?? 'PROCESSING', refusal(current?.status ?? 'PROCESSING'));
}
