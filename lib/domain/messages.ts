import { z } from 'zod';
import { PoisonMessageError } from './errors';
import { isJsonObject } from './json';
import { DEFAULT_TASK_TYPE, TaskErrorSchema } from './task';
import { taskIdProblem } from './taskId';

const isTaskId = (value: unknown): value is string => taskIdProblem(value) === undefined;
const payloadObject = (error?: string) => z.custom<Record<string, unknown>>(isJsonObject, error);
/** A text a message is still understood without: read as '' when missing or not a string. */
const textOrEmpty = z.string().catch('');

/**
 * Body of a message on the task queue: one attempt of one task. Each rule's message is the
 * PoisonMessageError text of a body that breaks it, checked in the order of the fields.
 */
function taskMessageSchema(maxAttempts: number) {
  const attemptProblem = `message attempt must be an integer in [1, ${maxAttempts}]`;
  return z.object(
    {
      taskId: z.custom<string>(isTaskId, 'message has no valid taskId'),
      // Messages sent before task types existed are of the default type.
      type: z.string('message type is not a string').default(DEFAULT_TASK_TYPE),
      attempt: z.number(attemptProblem).int(attemptProblem).min(1, attemptProblem).max(maxAttempts, attemptProblem),
      payload: payloadObject('message payload is not an object'),
      correlationId: textOrEmpty,
    },
    'message body is not a JSON object',
  );
}
export type TaskMessage = z.output<ReturnType<typeof taskMessageSchema>>;

/** Body of a message sent explicitly to the DLQ after the last attempt failed. */
const DeadLetterMessageSchema = z.object({
  kind: z.literal('DEAD_LETTERED'),
  taskId: z.custom<string>(isTaskId),
  type: z.string().catch(DEFAULT_TASK_TYPE),
  payload: payloadObject(),
  attempts: z.number().int(),
  error: TaskErrorSchema,
  /** True when the failure was permanent (a PermanentError), not the last of the attempts. */
  permanent: z.boolean().optional(),
  failedAt: textOrEmpty,
  correlationId: textOrEmpty,
});
export type DeadLetterMessage = z.output<typeof DeadLetterMessageSchema>;

/** One schema per attempt budget (the configuration's, in practice only one), built on first use. */
const taskMessageSchemas = new Map<number, ReturnType<typeof taskMessageSchema>>();

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
}

/** Parses a task-queue message body; PoisonMessageError when it is not one of ours. */
export function parseTaskMessage(body: string, maxAttempts: number): TaskMessage {
  return taskMessageOf(parseJson(body), maxAttempts);
}

function taskMessageOf(value: unknown, maxAttempts: number): TaskMessage {
  let schema = taskMessageSchemas.get(maxAttempts);
  if (!schema) taskMessageSchemas.set(maxAttempts, (schema = taskMessageSchema(maxAttempts)));
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [first] = result.error.issues;
  // Past the taskId rule, the taskId is valid and names the task in the log line.
  const context = first.path[0] === 'taskId' || !isJsonObject(value) ? undefined : { taskId: value.taskId };
  throw new PoisonMessageError(first.message, { context });
}

/**
 * Parses a DLQ message: either our explicit DeadLetterMessage or a task message
 * that SQS's RedrivePolicy moved there; PoisonMessageError for anything else.
 */
export function parseDlqMessage(
  body: string,
  maxAttempts: number,
): { kind: 'DEAD_LETTERED'; message: DeadLetterMessage } | { kind: 'REDRIVE_POLICY'; message: TaskMessage } {
  const value = parseJson(body);
  if (isJsonObject(value) && value.kind === 'DEAD_LETTERED') {
    const result = DeadLetterMessageSchema.safeParse(value);
    if (!result.success) throw new PoisonMessageError('dead-letter message is missing taskId, attempts, payload or error');
    return { kind: 'DEAD_LETTERED', message: result.data };
  }
  return { kind: 'REDRIVE_POLICY', message: taskMessageOf(value, maxAttempts) };
}
