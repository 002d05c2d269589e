import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/** Where a batch came from, as Lambda's event source mapping states it in each record. */
export interface EventSource {
  queueArn: string;
  region: string;
}

function toBase64(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value).toString('base64');
}

/** SQS message attributes in the camel-cased shape Lambda delivers (binary values base64). */
export function lambdaMessageAttributes(attributes: Message['MessageAttributes']): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes ?? {}).map(([name, value]) => [
      name,
      {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: toBase64(value.BinaryValue) } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((item) => toBase64(item)!),
        dataType: value.DataType!,
      },
    ]),
  );
}

/** One SQS message as a record of a Lambda SQS event. */
export function toSqsRecord(message: Message, source: EventSource): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: message.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody!,
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/** The event Lambda's SQS event source mapping would invoke the function with. */
export function toSqsEvent(messages: Message[], source: EventSource): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, source)) };
}

/** What became of one invocation: the handler's JSON result, or a function error (thrown, timed out). */
export type InvocationOutcome = { ok: true; payload: unknown } | { ok: false; error: string };

/**
 * The messageIds of a batch that Lambda deletes after an invocation, following its rules
 * for ReportBatchItemFailures: an error deletes nothing; a null/empty response or an empty
 * `batchItemFailures` deletes everything; a failure entry with an empty, null or unknown
 * itemIdentifier fails the whole batch; otherwise all but the listed ids are deleted.
 */
export function messageIdsToDelete(messageIds: string[], outcome: InvocationOutcome, reportBatchItemFailures: boolean): string[] {
  if (!outcome.ok) return [];
  if (!reportBatchItemFailures) return messageIds;
  const response = outcome.payload;
  if (response === null || response === undefined || typeof response !== 'object') return messageIds;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return messageIds;
  if (!Array.isArray(failures)) return [];
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !messageIds.includes(id)) return [];
    failed.add(id);
  }
  return messageIds.filter((id) => !failed.has(id));
}
