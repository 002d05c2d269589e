import { PoisonMessageError } from './errors';
import { DEFAULT_TASK_TYPE, type DeadLetterMessage, type TaskMessage } from './task';
import { taskIdProblem } from './taskId';

function parseJson(body: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PoisonMessageError('message body is not a JSON object');
  return value as Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses a task-queue message body; PoisonMessageError when it is not one of ours. */
export function parseTaskMessage(body: string, maxAttempts: number): TaskMessage {
  const m = parseJson(body);
  if (taskIdProblem(m.taskId)) throw new PoisonMessageError('message has no valid taskId');
  if (!Number.isInteger(m.attempt) || (m.attempt as number) < 1 || (m.attempt as number) > maxAttempts) {
    throw new PoisonMessageError(`message attempt must be an integer in [1, ${maxAttempts}]`, { context: { taskId: m.taskId } });
  }
  if (!isObject(m.payload)) throw new PoisonMessageError('message payload is not an object', { context: { taskId: m.taskId } });
  if (m.type !== undefined && typeof m.type !== 'string')
    throw new PoisonMessageError('message type is not a string', { context: { taskId: m.taskId } });
  return {
    taskId: m.taskId as string,
    // Messages sent before task types existed are of the default type.
    type: m.type ?? DEFAULT_TASK_TYPE,
    attempt: m.attempt as number,
    payload: m.payload,
    correlationId: typeof m.correlationId === 'string' ? m.correlationId : '',
  };
}

/**
 * Parses a DLQ message: either our explicit DeadLetterMessage or a task message
 * that SQS's RedrivePolicy moved there; PoisonMessageError for anything else.
 */
export function parseDlqMessage(
  body: string,
  maxAttempts: number,
): { kind: 'DEAD_LETTERED'; message: DeadLetterMessage } | { kind: 'REDRIVE_POLICY'; message: TaskMessage } {
  const m = parseJson(body);
  if (m.kind === 'DEAD_LETTERED') {
    if (taskIdProblem(m.taskId) || !Number.isInteger(m.attempts) || !isObject(m.error) || !isObject(m.payload)) {
      throw new PoisonMessageError('dead-letter message is missing taskId, attempts, payload or error');
    }
    const message = m as unknown as DeadLetterMessage;
    return { kind: 'DEAD_LETTERED', message: { ...message, type: typeof m.type === 'string' ? m.type : DEFAULT_TASK_TYPE } };
  }
  return { kind: 'REDRIVE_POLICY', message: parseTaskMessage(body, maxAttempts) };
}
