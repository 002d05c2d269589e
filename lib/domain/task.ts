/** Every status a task can be in; the names are shared by the table, the API, logs and metrics. */
export const TASK_STATUSES = ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'SUCCEEDED', 'DEAD_LETTERED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves on its own. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Statuses a redrive starts over from. */
export const REDRIVABLE_STATUSES: readonly TaskStatus[] = ['FAILED', 'CANCELLED'];

/** The type of a task stored before types existed, and of a submit that names none. */
export const DEFAULT_TASK_TYPE = 'simulated';

/** Types of audit events: one per transition, named after the status entered; REDRIVEN re-enters QUEUED. */
export type TaskEventType = TaskStatus | 'REDRIVEN';

export interface TaskError {
  name: string;
  message: string;
}

/** One audit-history entry. `attempt` is the attempt the transition belongs to (0 before the first). */
export interface TaskEvent {
  type: TaskEventType;
  at: string;
  attempt: number;
  error?: TaskError;
  /** Set on RETRY_SCHEDULED: how long the next attempt waits in the queue. */
  delaySeconds?: number;
  /** Set on FAILED: the DLQ message whose handling recorded it. */
  messageId?: string;
  /** Set on DEAD_LETTERED and FAILED when the failure was permanent (no retry could fix it). */
  permanent?: true;
}

/** The state item of a task, as stored. */
export interface TaskState {
  taskId: string;
  /** The task type (lib/types/registry.ts): its handler and policy. */
  type: string;
  status: TaskStatus;
  /** Attempts started so far (claims); 0 while QUEUED. */
  attempts: number;
  maxAttempts: number;
  payloadHash: string;
  correlationId: string;
  createdAt: string;
  updatedAt: string;
  lastError?: TaskError;
  /** When the next attempt is due: set while RETRY_SCHEDULED, and while QUEUED with a delayed start. */
  nextAttemptAt?: string;
  /** What the successful attempt returned, as JSON (at most MAX_RESULT_BYTES); set on SUCCEEDED. */
  resultJson?: string;
  leaseId?: string;
  leaseUntil?: string;
  history: TaskEvent[];
}

/** Body of a message on the task queue: one attempt of one task. */
export interface TaskMessage {
  taskId: string;
  type: string;
  attempt: number;
  payload: Record<string, unknown>;
  correlationId: string;
}

/** Body of a message sent explicitly to the DLQ after the last attempt failed. */
export interface DeadLetterMessage {
  kind: 'DEAD_LETTERED';
  taskId: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  error: TaskError;
  /** True when the failure was permanent (a PermanentError), not the last of the attempts. */
  permanent?: boolean;
  failedAt: string;
  correlationId: string;
}

/** Recorded on a DLQ message re-sent for a task whose last error is missing (should not happen). */
const NO_ERROR_RECORDED: TaskError = { name: 'Unknown', message: 'no error recorded' };

/**
 * The DLQ message of a task whose last attempt failed: the one shape the processor sends and
 * the processor and the reconciler re-send.
 */
export function deadLetterMessage(
  task: { taskId: string; type: string; correlationId: string; attempts: number },
  payload: Record<string, unknown>,
  error: TaskError | undefined,
  failedAt: string,
  permanent = false,
): DeadLetterMessage {
  return {
    kind: 'DEAD_LETTERED',
    taskId: task.taskId,
    type: task.type,
    payload,
    ...(permanent ? { permanent: true } : {}),
    attempts: task.attempts,
    error: error ?? NO_ERROR_RECORDED,
    failedAt,
    correlationId: task.correlationId,
  };
}

/** What clients see of a task (GET /tasks/{taskId}, POST /tasks). */
export interface TaskView {
  taskId: string;
  type: string;
  status: TaskStatus;
  attempts: number;
  maxAttempts: number;
  lastError: TaskError | null;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  correlationId: string;
  /** What the successful attempt returned (SUCCEEDED tasks whose handler returned something). */
  result?: unknown;
  history: TaskEvent[];
}

/** What a listing shows of a task (read with BatchGetItem for the keys the byPhase index returns). */
export type TaskSummary = Pick<
  TaskState,
  | 'taskId'
  | 'type'
  | 'status'
  | 'attempts'
  | 'maxAttempts'
  | 'createdAt'
  | 'updatedAt'
  | 'lastError'
  | 'nextAttemptAt'
  | 'leaseUntil'
  | 'correlationId'
>;

/** Projects the stored state to the public view (no lease or hash internals). */
export function toTaskView(task: TaskState): TaskView {
  return {
    taskId: task.taskId,
    type: task.type,
    status: task.status,
    attempts: task.attempts,
    maxAttempts: task.maxAttempts,
    lastError: task.lastError ?? null,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    ...((task.status === 'RETRY_SCHEDULED' || task.status === 'QUEUED') && task.nextAttemptAt ? { nextAttemptAt: task.nextAttemptAt } : {}),
    correlationId: task.correlationId,
    ...(task.resultJson !== undefined ? { result: JSON.parse(task.resultJson) } : {}),
    history: task.history,
  };
}

/** True once a task has reached SUCCEEDED, FAILED or CANCELLED. */
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
