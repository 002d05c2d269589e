import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterMessage, TaskMessage } from './task';

/** The queues of the pipeline, as the domain sees them. */
export interface TaskQueue {
  /** Puts one attempt of a task on the task queue, invisible for delaySeconds (0-900). */
  enqueue(message: TaskMessage, delaySeconds: number): Promise<void>;
  /** Sends a task whose last attempt failed to the dead-letter queue. */
  deadLetter(message: DeadLetterMessage): Promise<void>;
}

/** Message attributes that let logs follow a task across queues without parsing bodies. */
function attributes(taskId: string, correlationId: string, attempt: number) {
  return {
    taskId: { DataType: 'String', StringValue: taskId },
    correlationId: { DataType: 'String', StringValue: correlationId },
    attempt: { DataType: 'Number', StringValue: String(attempt) },
  };
}

/** TaskQueue on SQS. */
export class SqsTaskQueue implements TaskQueue {
  constructor(private readonly client: SQSClient, private readonly urls: { queueUrl: string; dlqUrl: string }) {}

  async enqueue(message: TaskMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urls.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
        MessageAttributes: attributes(message.taskId, message.correlationId, message.attempt),
      }),
    );
  }

  async deadLetter(message: DeadLetterMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urls.dlqUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: attributes(message.taskId, message.correlationId, message.attempts),
      }),
    );
  }
}
