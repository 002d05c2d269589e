import type { Deps } from '../deps';
import { EnqueueFailedError, MessageRejectedError, TaskMessageRejectedError } from '../domain/errors';
import { METRIC } from '../adapters/metrics';
import { payloadHash } from '../domain/payloadHash';
import { failRejectedTask } from './rejectedMessage';
import type { TaskState } from '../domain/task';

/** A validated POST /tasks request. */
export interface SubmitRequest {
  taskId: string;
  payload: Record<string, unknown>;
}

export interface SubmitResult {
  /** False when the same taskId and payload had been submitted before. */
  created: boolean;
  task: TaskState;
}

/**
 * Records a task as QUEUED and enqueues its first attempt. Resubmitting the same
 * taskId and payload is idempotent and re-enqueues a task still waiting for its
 * first attempt, so a submit whose SendMessage failed is repaired by a client retry.
 * A message the queue refuses as invalid ends the task FAILED (TaskMessageRejectedError, 422).
 * The correlation id (the caller's, or a new ULID) follows the task through every message and log line.
 */
export async function submit(
  request: SubmitRequest & { correlationId?: string },
  deps: Pick<Deps, 'store' | 'queue' | 'config' | 'clock' | 'newId' | 'log' | 'metrics'>,
): Promise<SubmitResult> {
  const at = deps.clock().toISOString();
  const candidate: TaskState = {
    taskId: request.taskId,
    status: 'QUEUED',
    attempts: 0,
    maxAttempts: deps.config.maxAttempts,
    payloadHash: payloadHash(request.payload),
    correlationId: request.correlationId ?? deps.newId(),
    createdAt: at,
    updatedAt: at,
    history: [{ type: 'QUEUED', at, attempt: 0 }],
  };
  const { created, task } = await deps.store.create(candidate, JSON.stringify(request.payload));
  if (created || (task.status === 'QUEUED' && task.attempts === 0)) {
    try {
      await deps.queue.enqueue({ taskId: task.taskId, attempt: 1, payload: request.payload, correlationId: task.correlationId }, 0);
    } catch (error) {
      if (!(error instanceof MessageRejectedError)) throw new EnqueueFailedError(task.taskId, error);
      // No retry can send this message: end the task now rather than leave it QUEUED for ever.
      await failRejectedTask({ ...task, payload: request.payload }, { status: 'QUEUED', attempts: 0 }, error, deps, deps.log);
      throw new TaskMessageRejectedError(task.taskId, error);
    }
  }
  if (created) deps.metrics.count(METRIC.TasksSubmitted);
  deps.log.info(created ? 'TASK_SUBMITTED' : 'TASK_RESUBMITTED', {
    taskId: task.taskId,
    correlationId: task.correlationId,
    status: task.status,
  });
  return { created, task };
}
