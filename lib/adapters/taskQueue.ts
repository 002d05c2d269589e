import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
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
  /**
   * Puts many first attempts on the task queue. Never throws: one outcome per entry, in entry order;
   * a failed entry's error is a MessageRejectedError when the queue refused that message itself.
   */
  enqueueBatch(entries: readonly QueueEntry[]): Promise<SendOutcome[]>;
  /** Sends a task whose last attempt failed to the dead-letter queue; MessageRejectedError as enqueue. */
  deadLetter(message: DeadLetterMessage): Promise<void>;
}

/** One message of a batch send and its delay (0-900 s). */
export interface QueueEntry {
  message: TaskMessage;
  delaySeconds: number;
}

/** What became of one entry of a batch send. */
export type SendOutcome = { sent: true } | { sent: false; error: unknown };

/** SendMessageBatch takes at most 10 entries and 1 MiB of messages per call. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Calls per group of entries before what still fails is reported (throttling and 5xx clear within a few). */
export const BATCH_SEND_ATTEMPTS = 4;
const BATCH_RETRY_BASE_MS = 50;

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

function tooLarge(queue: string, size: number): MessageRejectedError {
  return new MessageRejectedError(queue, 'MessageTooLarge', `the message is ${size} bytes; SQS takes at most ${MAX_MESSAGE_BYTES}`);
}

/** Groups entries, in order, into calls of at most MAX_BATCH_ENTRIES entries and MAX_BATCH_BYTES bytes. */
export function batchGroups<T extends { size: number }>(entries: readonly T[]): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + entry.size > MAX_BATCH_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

interface Prepared {
  index: number;
  entry: SendMessageBatchRequestEntry;
  size: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** TaskQueue on SQS. Every body goes through encodeMessageBody, so SQS accepts every payload the API accepts. */
export class SqsTaskQueue implements TaskQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly urls: { queueUrl: string; dlqUrl: string },
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
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

  /**
   * SendMessageBatch in groups of 10 entries / 1 MiB. Entries that fail for throttling or a server
   * error, and whole calls that fail, are sent again (BATCH_SEND_ATTEMPTS calls, backing off);
   * entries SQS refuses as invalid are not. What still fails is reported, never thrown.
   */
  async enqueueBatch(entries: readonly QueueEntry[]): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = new Array(entries.length);
    const prepared: Prepared[] = [];
    entries.forEach(({ message, delaySeconds }, index) => {
      const body = encodeMessageBody(message);
      const attrs = attributes(message.taskId, message.type, message.correlationId, message.attempt);
      const size = messageSize(body, attrs);
      if (size > MAX_MESSAGE_BYTES) {
        outcomes[index] = { sent: false, error: tooLarge('task queue', size) };
        return;
      }
      prepared.push({
        index,
        size,
        entry: { Id: String(index), MessageBody: body, MessageAttributes: attrs, DelaySeconds: delaySeconds },
      });
    });
    await Promise.all(batchGroups(prepared).map((group) => this.sendGroup(group, outcomes)));
    return outcomes;
  }

  private async sendGroup(group: Prepared[], outcomes: SendOutcome[]): Promise<void> {
    let pending = group;
    let lastError: unknown;
    for (let attempt = 1; attempt <= BATCH_SEND_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(BATCH_RETRY_BASE_MS * 2 ** (attempt - 2));
      let response: SendMessageBatchCommandOutput;
      try {
        response = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.urls.queueUrl, Entries: pending.map((p) => p.entry) }),
        );
      } catch (error) {
        lastError = error;
        continue;
      }
      const failed = new Map((response.Failed ?? []).map((f) => [f.Id, f]));
      const retry: Prepared[] = [];
      for (const p of pending) {
        const failure = failed.get(p.entry.Id);
        if (!failure) outcomes[p.index] = { sent: true };
        else if (failure.SenderFault && REJECTED_MESSAGE_CODES.includes(failure.Code ?? ''))
          outcomes[p.index] = {
            sent: false,
            error: new MessageRejectedError('task queue', failure.Code ?? 'SenderFault', failure.Message ?? 'the entry was refused'),
          };
        else {
          lastError = Object.assign(new Error(`SendMessageBatch entry failed: ${failure.Code}: ${failure.Message ?? ''}`), {
            name: failure.Code ?? 'BatchEntryFailed',
          });
          retry.push(p);
        }
      }
      pending = retry;
    }
    for (const p of pending) outcomes[p.index] = { sent: false, error: lastError };
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
    if (size > MAX_MESSAGE_BYTES) throw tooLarge(queue, size);
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
