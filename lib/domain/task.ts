import { z } from 'zod';
import type { DeadLetterMessage } from './messages';

/** The queue messages' shapes live with their parsers; named here too, beside the task they carry. */
export type { DeadLetterMessage, TaskMessage } from './messages';

/** Every status a task can be in; the names are shared by the table, the API, logs and metrics. */
export const TASK_STATUSES = ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'SUCCEEDED', 'DEAD_LETTERED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TaskStatusSchema = z.enum(TASK_STATUSES);

/** Statuses a task never leaves on its own. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Statuses a redrive starts over from. */
export const REDRIVABLE_STATUSES: readonly TaskStatus[] = ['FAILED', 'CANCELLED'];

/** The type of a task stored before types existed, and of a submit that names none. */
export const DEFAULT_TASK_TYPE = 'simulated';
/** A task's type as stored: the default for an item written before types existed. */
const TaskTypeNameSchema = z.string().default(DEFAULT_TASK_TYPE);

/** Types of audit events: one per transition, named after the status entered; REDRIVEN re-enters QUEUED. */
const TASK_EVENT_TYPES = [...TASK_STATUSES, 'REDRIVEN'] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/*
 * Each shape below is one zod schema and the type inferred from it, so what the store reads back
 * and the CLI receives is checked against the very declaration the code is typed with.
 */

export const TaskErrorSchema = z.object({ name: z.string(), message: z.string() });
export type TaskError = z.infer<typeof TaskErrorSchema>;

/** One audit-history entry. `attempt` is the attempt the transition belongs to (0 before the first). */
export const TaskEventSchema = z.object({
  type: z.enum(TASK_EVENT_TYPES),
  at: z.string(),
  attempt: z.number(),
  error: TaskErrorSchema.optional(),
  /** Set on RETRY_SCHEDULED: how long the next attempt waits in the queue; on QUEUED, a delayed start. */
  delaySeconds: z.number().optional(),
  /** Set on FAILED: the DLQ message whose handling recorded it. */
  messageId: z.string().optional(),
  /** Set on FAILED: the one delivery of that message that recorded it (another delivery of it did not). */
  deliveryId: z.string().optional(),
  /** Set on DEAD_LETTERED and FAILED when the failure was permanent (no retry could fix it). */
  permanent: z.literal(true).optional(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;

/** The state item of a task, as stored. */
export const TaskStateSchema = z.object({
  taskId: z.string(),
  /** The task type (lib/types/registry.ts): its handler and policy. */
  type: TaskTypeNameSchema,
  status: TaskStatusSchema,
  /** Attempts started so far (claims); 0 while QUEUED. */
  attempts: z.number(),
  maxAttempts: z.number(),
  payloadHash: z.string(),
  correlationId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastError: TaskErrorSchema.optional(),
  /** When the next attempt is due: set while RETRY_SCHEDULED, and while QUEUED with a delayed start. */
  nextAttemptAt: z.string().optional(),
  /** What the successful attempt returned, as JSON (at most MAX_RESULT_BYTES); set on SUCCEEDED. */
  resultJson: z.string().optional(),
  leaseId: z.string().optional(),
  leaseUntil: z.string().optional(),
  history: z.array(TaskEventSchema),
});
export type TaskState = z.infer<typeof TaskStateSchema>;

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
export const TaskViewSchema = z.object({
  taskId: z.string(),
  type: z.string(),
  status: TaskStatusSchema,
  attempts: z.number(),
  maxAttempts: z.number(),
  lastError: TaskErrorSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  nextAttemptAt: z.string().optional(),
  correlationId: z.string(),
  /** What the successful attempt returned (SUCCEEDED tasks whose handler returned something). */
  result: z.unknown().optional(),
  history: z.array(TaskEventSchema),
});
export type TaskView = z.infer<typeof TaskViewSchema>;

/** What a listing shows of a task (read with BatchGetItem for the keys the byPhase index returns). */
export const TaskSummarySchema = TaskStateSchema.pick({
  taskId: true,
  type: true,
  status: true,
  attempts: true,
  maxAttempts: true,
  createdAt: true,
  updatedAt: true,
  lastError: true,
  nextAttemptAt: true,
  leaseUntil: true,
  correlationId: true,
});
export type TaskSummary = z.infer<typeof TaskSummarySchema>;

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
