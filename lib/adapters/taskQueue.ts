import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MessageRejectedError } from '../domain/errors';
import { MAX_MESSAGE_BYTES, encodeMessageBody } from '../domain/messageBody';
import type { DeadLetterMessage, TaskMessage } from '../domain/task';

/** The queues of the pipeline, as the domain sees them. */
export interface TaskQueue {
  /**
   * Puts one attempt of a task on the task queue, invisible for delaySeconds (0-900).
   * MessageRejectedError when the queue refuses the message itself (never for throttling or outages).
   */
  enqueue(message: TaskMessage, delaySeconds: number): Promise<void>;
  /** Sends a task whose last attempt failed to the dead-letter queue; MessageRejectedError as enqueue. */
  deadLetter(message: DeadLetterMessage): Promise<void>;
}

/**
 * SQS error codes that say the message itself is invalid (characters, size, attributes):
 * a permanent answer for this message. Throttling, 5xx and a missing queue are not among them.
 */
const REJECTED_MESSAGE_CODES: readonly string[] = [
  'InvalidMessageContents',
  'InvalidParameterValue',
  'InvalidAttributeValue',
  'InvalidAttributeName',
];

/**
 * The SQS error code of an SDK error. SQS speaks JSON with query-protocol compatibility, so the
 * SDK may name an error `InvalidMessageContents` or `AWS.SimpleQueueService.InvalidMessageContents`;
 * `__type` is `com.amazonaws.sqs#InvalidMessageContents`.
 */
function sqsErrorCode(error: unknown): string {
  const name = typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined;
  const type = typeof error === 'object' && error !== null && '__type' in error ? error.__type : undefined;
  if (typeof type === 'string' && type.includes('#')) return type.slice(type.lastIndexOf('#') + 1);
  return typeof name === 'string' ? name.slice(name.lastIndexOf('.') + 1) : '';
}

/** Message attributes that let logs follow a task across queues without parsing bodies. */
function attributes(taskId: string, type: string, correlationId: string, attempt: number) {
  return {
    taskId: { DataType: 'String', StringValue: taskId },
    type: { DataType: 'String', StringValue: type },
    correlationId: { DataType: 'String', StringValue: correlationId },
    attempt: { DataType: 'Number', StringValue: String(attempt) },
  };
}

type Attributes = ReturnType<typeof attributes>;

/** Size as SQS counts it: the body plus each attribute's name, type and value. */
function messageSize(body: string, attrs: Attributes): number {
  let size = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attrs))
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue);
  return size;
}

/** TaskQueue on SQS. Every body goes through encodeMessageBody, so SQS accepts every payload the API accepts. */
export class SqsTaskQueue implements TaskQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly urls: { queueUrl: string; dlqUrl: string },
  ) {}

  enqueue(message: TaskMessage, delaySeconds: number): Promise<void> {
    return this.send(
      'task queue',
      this.urls.queueUrl,
      message,
      attributes(message.taskId, message.type, message.correlationId, message.attempt),
      delaySeconds,
    );
  }

  deadLetter(message: DeadLetterMessage): Promise<void> {
    return this.send(
      'dead-letter queue',
      this.urls.dlqUrl,
      message,
      attributes(message.taskId, message.type, message.correlationId, message.attempts),
    );
  }

  private async send(queue: string, url: string, message: unknown, attrs: Attributes, delaySeconds?: number): Promise<void> {
    const body = encodeMessageBody(message);
    const size = messageSize(body, attrs);
    if (size > MAX_MESSAGE_BYTES)
      throw new MessageRejectedError(queue, 'MessageTooLarge', `the message is ${size} bytes; SQS takes at most ${MAX_MESSAGE_BYTES}`);
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: attrs,
          ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
        }),
      );
    } catch (error) {
      const code = sqsErrorCode(error);
      if (REJECTED_MESSAGE_CODES.includes(code))
        throw new MessageRejectedError(queue, code, error instanceof Error ? error.message : String(error), error);
      throw error;
    }
  }
}
