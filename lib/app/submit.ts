import type { Deps } from '../deps';
import { remainingDelaySeconds } from '../domain/backoff';
import { EnqueueFailedError, MessageRejectedError, TaskMessageRejectedError, ValidationError } from '../domain/errors';
import { METRIC } from '../adapters/metrics';
import type { QueueEntry } from '../adapters/taskQueue';
import { payloadHash } from '../domain/payloadHash';
import { failRejectedTask } from './rejectedMessage';
import type { TaskState } from '../domain/task';

/** The problem text of an unknown type: it names the known ones. */
export function knownTypes(deps: Pick<Deps, 'types'>): string {
  return `must be one of: ${deps.types.names().join(', ')}`;
}

/** A validated POST /tasks request. */
export interface SubmitRequest {
  taskId: string;
  payload: Record<string, unknown>;
  /** A registered task type; the registry's default when omitted. */
  type?: string;
  /** Seconds before the first attempt may start (0-900; SQS DelaySeconds). */
  delaySeconds?: number;
}

export interface SubmitResult {
  /** False when the same taskId and payload had been submitted before. */
  created: boolean;
  task: TaskState;
}

/** A task recorded by submit, and the first-attempt message it is owed (none when it had moved past that). */
export interface RecordedTask extends SubmitResult {
  payload: Record<string, unknown>;
  owed?: QueueEntry;
}

type SubmitDeps = Pick<Deps, 'store' | 'queue' | 'types' | 'clock' | 'newId' | 'log' | 'metrics'>;

/**
 * Records a task as QUEUED (a conditional create). Resubmitting the same taskId and payload is
 * idempotent and owes the message again while the task still waits for its first attempt, so a
 * submit whose SendMessage failed is repaired by a client retry.
 */
export async function recordTask(request: SubmitRequest & { correlationId?: string }, deps: SubmitDeps): Promise<RecordedTask> {
  const typeName = request.type ?? deps.types.defaultType;
  const type = deps.types.get(typeName);
  // The HTTP layer checks the name first; this guards other callers.
  if (!type) throw new ValidationError(`type '${typeName}' is not registered`, [{ field: 'type', problem: knownTypes(deps) }]);
  const now = deps.clock();
  const at = now.toISOString();
  const delaySeconds = request.delaySeconds ?? 0;
  const candidate: TaskState = {
    taskId: request.taskId,
    type: type.name,
    status: 'QUEUED',
    attempts: 0,
    maxAttempts: type.policy.maxAttempts,
    payloadHash: payloadHash(request.payload),
    correlationId: request.correlationId ?? deps.newId(),
    createdAt: at,
    updatedAt: at,
    ...(delaySeconds > 0 ? { nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000).toISOString() } : {}),
    history: [{ type: 'QUEUED', at, attempt: 0, ...(delaySeconds > 0 ? { delaySeconds } : {}) }],
  };
  const { created, task } = await deps.store.create(candidate, JSON.stringify(request.payload));
  const recorded: RecordedTask = { created, task, payload: request.payload };
  if (created || (task.status === 'QUEUED' && task.attempts === 0)) {
    recorded.owed = {
      message: { taskId: task.taskId, type: task.type, attempt: 1, payload: request.payload, correlationId: task.correlationId },
      // A resubmission re-sends with what is left of the original delay.
      delaySeconds: remainingDelaySeconds(task.nextAttemptAt, now),
    };
  }
  return recorded;
}

/**
 * What a recorded task's submit answers once its owed message was sent (`sendError` undefined)
 * or not: a send failure is EnqueueFailedError (503, a retry repairs it); a message the queue
 * refuses as invalid ends the task FAILED (TaskMessageRejectedError, 422).
 */
export async function settleSubmit(recorded: RecordedTask, sendError: unknown, deps: SubmitDeps): Promise<SubmitResult> {
  const { created, task } = recorded;
  // Counted when recorded: a task whose send failed is not created again by the retry that sends it.
  if (created) deps.metrics.count(METRIC.TasksSubmitted, 1, task.type);
  if (sendError !== undefined) {
    if (!(sendError instanceof MessageRejectedError)) throw new EnqueueFailedError(task.taskId, sendError);
    // No retry can send this message: end the task now rather than leave it QUEUED for ever.
    await failRejectedTask({ ...task, payload: recorded.payload }, { status: 'QUEUED', attempts: 0 }, sendError, deps, deps.log);
    throw new TaskMessageRejectedError(task.taskId, sendError);
  }
  deps.log.info(created ? 'TASK_SUBMITTED' : 'TASK_RESUBMITTED', {
    taskId: task.taskId,
    type: task.type,
    correlationId: task.correlationId,
    status: task.status,
  });
  return { created, task };
}

/**
 * Records a task as QUEUED and enqueues its first attempt (recordTask, then settleSubmit).
 * The correlation id (the caller's, or a new ULID) follows the task through every message and log line.
 */
export async function submit(request: SubmitRequest & { correlationId?: string }, deps: SubmitDeps): Promise<SubmitResult> {
  const recorded = await recordTask(request, deps);
  let sendError: unknown;
  if (recorded.owed) {
    try {
      await deps.queue.enqueue(recorded.owed.message, recorded.owed.delaySeconds);
    } catch (error) {
      sendError = error;
    }
  }
  return settleSubmit(recorded, sendError, deps);
}
