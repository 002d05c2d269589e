import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { Deps } from '../deps';
import { PoisonMessageError } from '../domain/errors';
import type { Log } from '../adapters/logger';

/** What a record's log context takes from a body without attributes: each key only when well typed. */
const BodyKeysSchema = z
  .object({
    taskId: z.string().optional().catch(undefined),
    type: z.string().optional().catch(undefined),
    attempt: z.number().optional().catch(undefined),
    attempts: z.number().optional().catch(undefined),
    correlationId: z.string().optional().catch(undefined),
  })
  .catch({});

function bodyKeys(body: string): z.output<typeof BodyKeysSchema> {
  try {
    return BodyKeysSchema.parse(JSON.parse(body));
  } catch {
    // An unreadable body is logged as such by the record handler.
    return {};
  }
}

/** Log context of one record: from its message attributes (set by SqsTaskQueue), else from its body. */
function recordKeys(record: SQSRecord): Record<string, unknown> {
  const attr = (name: string) => record.messageAttributes?.[name]?.stringValue;
  const body = attr('taskId') ? {} : bodyKeys(record.body);
  const attempt = attr('attempt') ?? body.attempt ?? body.attempts;
  return {
    messageId: record.messageId,
    taskId: attr('taskId') ?? body.taskId,
    type: attr('type') ?? body.type,
    attempt: attempt !== undefined ? Number(attempt) : undefined,
    correlationId: attr('correlationId') ?? body.correlationId,
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0),
  };
}

/**
 * Turns a per-record function into an SQS batch handler with partial batch responses:
 * records run concurrently, and only those that threw are returned in batchItemFailures,
 * so SQS redelivers just them. Each record logs through a child of `deps.log` carrying its keys;
 * metrics are published once per batch.
 */
export function sqsBatchHandler(handleRecord: (record: SQSRecord, deps: Deps, log: Log) => Promise<unknown>, getDeps: () => Deps) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const deps = getDeps();
    if (context) deps.log.addContext(context);
    try {
      const results = await Promise.allSettled(
        event.Records.map(async (record) => {
          const log = deps.log.createChild({ persistentKeys: recordKeys(record) });
          try {
            await handleRecord(record, deps, log);
          } catch (error) {
            const poison = error instanceof PoisonMessageError;
            // Bodies carry payloads, which only the DLQ monitor logs: say how big, not what.
            log.error(poison ? 'POISON_MESSAGE' : 'RECORD_FAILED', { error: error as Error, bodyBytes: Buffer.byteLength(record.body) });
            throw error;
          }
        }),
      );
      return {
        batchItemFailures: results.flatMap((result, i) =>
          result.status === 'rejected' ? [{ itemIdentifier: event.Records[i].messageId }] : [],
        ),
      };
    } finally {
      deps.metrics.publish();
    }
  };
}
