import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { sleep } from '../tools/poll';
import { intrinsicTarget } from './cloudFormation';
import { LOCAL_CREDENTIALS } from './localServer';
import { LocalStackError } from './processes';
import type { LocalQueue, LocalResources } from './resources';
import type { ServerlessConfig, SqsEventConfig } from './serverlessConfig';
import { messageIdsToDelete, toSqsEvent, type InvocationOutcome } from './sqsEvent';

/** One `sqs` event of a function, resolved to a local queue: what Lambda's event source mapping does. */
export interface EventSourceMapping {
  functionKey: string;
  functionName: string;
  queue: LocalQueue;
  region: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  /** Batches in flight at once (Lambda starts with five pollers; `maximumConcurrency` caps it). */
  concurrency: number;
  /** The queue's visibility timeout: when failed messages come back. */
  visibilityTimeoutSeconds: number;
}

function localQueueOf(arn: unknown, resources: LocalResources, where: string): LocalQueue {
  const target = intrinsicTarget(arn);
  const queue = target
    ? resources.queues[target.logicalId]
    : Object.values(resources.queues).find((q) => typeof arn === 'string' && (q.arn === arn || q.name === arn.split(':').pop()));
  if (!queue) throw new LocalStackError(`${where} points at ${JSON.stringify(arn)}, which is not a queue of serverless.yml's resources`);
  return queue;
}

/** The SQS event source mappings of every function in serverless.yml, on the local queues. */
export function eventSourceMappings(config: ServerlessConfig, resources: LocalResources, defaultConcurrency: number): EventSourceMapping[] {
  const resourceProperties = config.resources?.Resources ?? {};
  return Object.entries(config.functions).flatMap(([functionKey, fn]) =>
    (fn.events ?? [])
      .filter((event) => event.sqs !== undefined)
      .map((event) => (typeof event.sqs === 'string' ? ({ arn: event.sqs } as SqsEventConfig) : event.sqs!))
      .filter((sqs) => sqs.enabled !== false)
      .map((sqs) => {
        const queue = localQueueOf(sqs.arn, resources, `functions.${functionKey}.events.sqs.arn`);
        const logicalId = Object.keys(resources.queues).find((id) => resources.queues[id] === queue)!;
        const visibility = Number(resourceProperties[logicalId]?.Properties?.VisibilityTimeout ?? 30);
        return {
          functionKey,
          functionName: fn.name,
          queue,
          region: config.provider.region,
          batchSize: sqs.batchSize ?? 10,
          maximumBatchingWindowSeconds: sqs.maximumBatchingWindow ?? 0,
          reportBatchItemFailures: sqs.functionResponseType === 'ReportBatchItemFailures',
          concurrency: Math.min(sqs.maximumConcurrency ?? defaultConcurrency, defaultConcurrency),
          visibilityTimeoutSeconds: visibility,
        };
      }),
  );
}

/** Invokes a function with an event and reports what came back. Never throws. */
export type Invoker = (functionName: string, event: SQSEvent) => Promise<InvocationOutcome>;

function errorMessageOf(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { errorMessage?: string; errorType?: string };
    return parsed.errorMessage ? `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage}` : payload;
  } catch {
    return payload;
  }
}

export interface InvokeRetryOptions {
  /** Tries per invocation, the first included; 1 turns retries off. Default 4. */
  attempts?: number;
  /** Wait before the first retry; doubles with each further one. Default 250 ms. */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of each failed try that will be retried. */
  onRetry?: (line: string) => void;
}

/**
 * True for an invoke that failed before the function could answer: no HTTP response at all
 * (socket hang up, connection refused or reset) or a throttle / service error (429, 5xx).
 * A function error is an answer (200 with X-Amz-Function-Error), never retried here.
 */
function isRetryableInvokeError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500;
}

/**
 * An Invoker that calls the Lambda API at `endpoint` (serverless-offline's lambdaPort).
 * Like Lambda's event source mapping, it retries an invoke that failed in transport, with
 * exponential backoff, instead of leaving the batch to wait out its visibility timeout.
 */
export function lambdaInvoker(
  endpoint: string,
  region: string,
  retry: InvokeRetryOptions = {},
): { invoke: (functionName: string, event: unknown) => Promise<InvocationOutcome>; destroy(): void } {
  const attempts = Math.max(1, retry.attempts ?? 4);
  const baseDelayMs = retry.baseDelayMs ?? 250;
  const wait = retry.sleep ?? sleep;
  // The SDK's own retries stay off: this loop decides, and counts, every retry.
  const client = new LambdaClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const send = async (functionName: string, event: unknown) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.send(
          new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
        );
      } catch (error) {
        if (attempt >= attempts || !isRetryableInvokeError(error)) throw error;
        const delayMs = baseDelayMs * 2 ** (attempt - 1);
        retry.onRetry?.(
          `invoke of ${functionName} failed (${(error as Error).message}); retry ${attempt} of ${attempts - 1} in ${delayMs} ms`,
        );
        await wait(delayMs);
      }
    }
  };
  const invoke = async (functionName: string, event: unknown): Promise<InvocationOutcome> => {
    try {
      const output = await send(functionName, event);
      const text = output.Payload ? Buffer.from(output.Payload).toString('utf8') : '';
      if (output.FunctionError) return { ok: false, error: `${output.FunctionError} function error: ${errorMessageOf(text)}` };
      if (text.trim() === '') return { ok: true, payload: null };
      try {
        return { ok: true, payload: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, error: `the response is not JSON: ${text.slice(0, 200)}` };
      }
    } catch (error) {
      return { ok: false, error: `invoke failed: ${(error as Error).message}` };
    }
  };
  return { invoke, destroy: () => client.destroy() };
}

export interface Poller {
  stop(): Promise<void>;
}

/**
 * Polls the mapping's queue like Lambda's event source mapping: long polls, gathers up to
 * batchSize records for at most maximumBatchingWindow, invokes the function synchronously,
 * then deletes the records that succeeded. Records listed in batchItemFailures, and the
 * whole batch when the invocation fails, stay in the queue and come back after the
 * visibility timeout (and reach the DLQ through the queue's RedrivePolicy).
 */
export function startPoller(mapping: EventSourceMapping, sqs: SQSClient, invoke: Invoker, log: (line: string) => void): Poller {
  const abort = new AbortController();
  const stopped = () => abort.signal.aborted;

  const receive = async (max: number, waitTimeSeconds: number): Promise<Message[]> => {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: mapping.queue.url,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return Messages ?? [];
  };

  const receiveBatch = async (): Promise<Message[]> => {
    const batch = await receive(mapping.batchSize, 20);
    const deadline = Date.now() + mapping.maximumBatchingWindowSeconds * 1000;
    while (batch.length > 0 && batch.length < mapping.batchSize && Date.now() < deadline && !stopped()) {
      const more = await receive(mapping.batchSize - batch.length, 0);
      batch.push(...more);
      if (more.length === 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
    }
    return batch;
  };

  const deleteMessages = async (messages: Message[]) => {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const { Failed } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: mapping.queue.url,
          Entries: chunk.map((message, j) => ({ Id: String(j), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      for (const failure of Failed ?? []) log(`could not delete message ${chunk[Number(failure.Id)].MessageId}: ${failure.Message}`);
    }
  };

  const handleBatch = async (batch: Message[]) => {
    const outcome = await invoke(mapping.functionName, toSqsEvent(batch, { queueArn: mapping.queue.arn, region: mapping.region }));
    const ids = messageIdsToDelete(
      batch.map((message) => message.MessageId!),
      outcome,
      mapping.reportBatchItemFailures,
    );
    await deleteMessages(batch.filter((message) => ids.includes(message.MessageId!)));
    const kept = batch.length - ids.length;
    if (!outcome.ok) {
      log(
        `invocation failed, the whole batch of ${batch.length} returns after the ${mapping.visibilityTimeoutSeconds}s visibility timeout: ${outcome.error}`,
      );
    } else if (kept > 0) {
      log(
        `${kept} of ${batch.length} records failed (batchItemFailures): they return after the ${mapping.visibilityTimeoutSeconds}s visibility timeout`,
      );
    }
  };

  const loop = async () => {
    while (!stopped()) {
      try {
        const batch = await receiveBatch();
        if (batch.length > 0 && !stopped()) await handleBatch(batch);
      } catch (error) {
        if (stopped()) break;
        log(`polling ${mapping.queue.name} failed: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  };

  const loops = Array.from({ length: Math.max(1, mapping.concurrency) }, loop);
  return {
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
  };
}
