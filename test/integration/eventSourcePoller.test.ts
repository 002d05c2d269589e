import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { expect } from 'chai';
import {
  eventSourceMappings,
  intrinsicTarget,
  lambdaInvoker,
  startPoller,
  type EventSourceMapping,
  type InvocationOutcome,
  type Poller,
} from '../../devstack';
import { pollUntil } from '../../tools/poll';
import { useLocalServers } from '../support/localServers';

describe('local SQS event source poller (Lambda event source mapping on fauxqs)', function () {
  const servers = useLocalServers({ stage: 'test' });
  let mapping: EventSourceMapping;
  let poller: Poller | undefined;

  beforeEach(async function () {
    // A queue of its own per test, so leftovers of one test never reach another.
    const name = `poller-${this.currentTest?.title.replace(/\W+/g, '-').slice(0, 40)}-${Date.now()}`;
    const { QueueUrl } = await servers().clients.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }),
    );
    const { Attributes } = await servers().clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    mapping = {
      functionKey: 'fn',
      functionName: 'task-pipeline-test-fn',
      queue: { name, url: QueueUrl!, arn: Attributes!.QueueArn! },
      region: servers().region,
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      concurrency: 1,
      visibilityTimeoutSeconds: 30,
    };
  });

  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    await servers().clients.sqs.send(new DeleteQueueCommand({ QueueUrl: mapping.queue.url }));
  });

  async function send(bodies: string[]): Promise<void> {
    await servers().clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: mapping.queue.url,
        Entries: bodies.map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { taskId: { DataType: 'String', StringValue: body } },
        })),
      }),
    );
  }

  /** Starts a poller whose function answers with `respond`; resolves with the first event. */
  function pollWith(respond: (event: SQSEvent) => InvocationOutcome): Promise<SQSEvent> {
    return new Promise((resolve) => {
      poller = startPoller(
        mapping,
        servers().clients.sqs,
        async (_name, event) => {
          resolve(event);
          return respond(event);
        },
        () => undefined,
      );
    });
  }

  async function counts(): Promise<{ visible: number; inFlight: number }> {
    // Give the poller a moment to finish its deletes after the invocation returned.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { Attributes } = await servers().clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: mapping.queue.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes!.ApproximateNumberOfMessages),
      inFlight: Number(Attributes!.ApproximateNumberOfMessagesNotVisible),
    };
  }

  it("maps each sqs event of serverless.yml to its local queue with the event's batchSize and window", () => {
    const mappings = eventSourceMappings(servers().config, servers().resources, 5);
    const events = Object.entries(servers().config.functions).flatMap(([key, fn]) =>
      (fn.events ?? []).filter((e) => e.sqs).map((e) => ({ key, sqs: e.sqs! })),
    );

    expect(mappings).to.have.length(events.length);
    for (const { key, sqs } of events) {
      const found = mappings.find((m) => m.functionKey === key)!;
      expect(found.queue).to.deep.equal(servers().resources.queues[intrinsicTarget(sqs.arn)!.logicalId]);
      expect(found.batchSize).to.equal(sqs.batchSize ?? 10);
      expect(found.maximumBatchingWindowSeconds).to.equal(sqs.maximumBatchingWindow ?? 0);
      expect(found.reportBatchItemFailures).to.equal(sqs.functionResponseType === 'ReportBatchItemFailures');
      expect(found.functionName).to.equal(servers().config.functions[key].name);
    }
  });

  it('invokes with a Lambda-shaped SQS event gathered within the batching window', async () => {
    mapping.maximumBatchingWindowSeconds = 1;
    await send(['a']);
    setTimeout(() => void send(['b', 'c']), 300);

    const event = await pollWith(() => ({ ok: true, payload: { batchItemFailures: [] } }));

    expect(event.Records.map((record) => record.body)).to.have.members(['a', 'b', 'c']);
    const record = event.Records[0];
    expect(record).to.include({ eventSource: 'aws:sqs', eventSourceARN: mapping.queue.arn, awsRegion: servers().region });
    expect(record.messageId).to.be.a('string');
    expect(record.receiptHandle).to.be.a('string');
    expect(record.md5OfBody).to.match(/^[0-9a-f]{32}$/);
    expect(record.attributes).to.include({ ApproximateReceiveCount: '1' });
    expect(record.attributes.SentTimestamp).to.match(/^\d+$/);
    expect(record.attributes.ApproximateFirstReceiveTimestamp).to.match(/^\d+$/);
    expect(record.messageAttributes.taskId).to.deep.equal({
      stringValue: record.body,
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    });
  });

  it('deletes only the records not listed in batchItemFailures', async () => {
    await send(['ok-1', 'fails', 'ok-2']);

    await pollWith((event) => ({
      ok: true,
      payload: { batchItemFailures: [{ itemIdentifier: event.Records.find((r) => r.body === 'fails')!.messageId }] },
    }));

    expect(await counts()).to.deep.equal({ visible: 0, inFlight: 1 });
  });

  it('deletes nothing when the invocation fails (function error): the whole batch returns', async () => {
    await send(['x', 'y']);

    await pollWith(() => ({ ok: false, error: 'Unhandled function error: boom' }));

    expect(await counts()).to.deep.equal({ visible: 0, inFlight: 2 });
  });

  it('fails the whole batch when a batchItemFailures entry names no message of the batch', async () => {
    await send(['x', 'y']);

    await pollWith(() => ({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '' }] } }));

    expect(await counts()).to.deep.equal({ visible: 0, inFlight: 2 });
  });

  it('retries an invoke that hung up and deletes the batch, instead of leaving it for the visibility timeout', async () => {
    const api = await fakeLambdaApi(1, answersWith({ batchItemFailures: [] }));
    const invoker = lambdaInvoker(api.endpoint, servers().region, { baseDelayMs: 10 });
    const lines: string[] = [];
    try {
      poller = startPoller(mapping, servers().clients.sqs, invoker.invoke, (line) => lines.push(line));
      await send(['x', 'y']);

      await pollUntil(() => api.received.length >= 2, {
        timeoutMs: 5000,
        intervalMs: 50,
        failure: () => `${api.received.length} invokes, expected 2`,
      });

      expect(api.received).to.have.length(2);
      expect(await counts()).to.deep.equal({ visible: 0, inFlight: 0 });
      expect(lines).to.deep.equal([]);
    } finally {
      await poller?.stop();
      poller = undefined;
      invoker.destroy();
      await api.stop();
    }
  });

  it('deletes the whole batch when the response is empty', async () => {
    await send(['x', 'y']);

    await pollWith(() => ({ ok: true, payload: null }));

    expect(await counts()).to.deep.equal({ visible: 0, inFlight: 0 });
  });
});

/**
 * A stand-in for serverless-offline's Lambda invoke API on a free port: the first `hangUps`
 * requests get their socket destroyed (what a paused or restarting process looks like to the
 * client: "socket hang up"), later ones get `answer`.
 */
async function fakeLambdaApi(hangUps: number, answer: (res: http.ServerResponse) => void) {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url ?? '');
      if (received.length <= hangUps) req.socket.destroy();
      else answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const answersWith = (payload: unknown, functionError?: string) => (res: http.ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json', ...(functionError ? { 'x-amz-function-error': functionError } : {}) });
  res.end(JSON.stringify(payload));
};

describe('lambdaInvoker: retries an invoke that failed in transport, like the event source mapping', () => {
  let api: Awaited<ReturnType<typeof fakeLambdaApi>> | undefined;
  let invoker: ReturnType<typeof lambdaInvoker> | undefined;
  const delays: number[] = [];
  const retryLines: string[] = [];
  const options = (attempts: number) => ({
    attempts,
    baseDelayMs: 50,
    sleep: async (ms: number) => void delays.push(ms),
    onRetry: (line: string) => retryLines.push(line),
  });

  afterEach(async () => {
    invoker?.destroy();
    await api?.stop();
    delays.length = 0;
    retryLines.length = 0;
  });

  it('retries a socket hang up with doubling backoff and returns the answer of the try that got through', async () => {
    api = await fakeLambdaApi(2, answersWith({ batchItemFailures: [] }));
    invoker = lambdaInvoker(api.endpoint, 'us-east-1', options(4));

    const outcome = await invoker.invoke('fn', { Records: [] });

    expect(outcome).to.deep.equal({ ok: true, payload: { batchItemFailures: [] } });
    expect(api.received).to.have.length(3);
    expect(delays).to.deep.equal([50, 100]);
    expect(retryLines).to.have.length(2);
    expect(retryLines[0]).to.contain('socket hang up').and.contain('retry 1 of 3');
  });

  it("does not retry a function error: it is the function's answer", async () => {
    api = await fakeLambdaApi(0, answersWith({ errorType: 'Error', errorMessage: 'boom' }, 'Unhandled'));
    invoker = lambdaInvoker(api.endpoint, 'us-east-1', options(4));

    const outcome = await invoker.invoke('fn', { Records: [] });

    expect(outcome).to.deep.equal({ ok: false, error: 'Unhandled function error: Error: boom' });
    expect(api.received).to.have.length(1);
    expect(delays).to.deep.equal([]);
  });

  it('gives up after the last attempt and reports the transport error', async () => {
    api = await fakeLambdaApi(10, answersWith(null));
    invoker = lambdaInvoker(api.endpoint, 'us-east-1', options(3));

    const outcome = await invoker.invoke('fn', { Records: [] });

    expect(outcome.ok).to.equal(false);
    expect(!outcome.ok && outcome.error).to.match(/^invoke failed: .*socket hang up/);
    expect(api.received).to.have.length(3);
    expect(delays).to.deep.equal([50, 100]);
  });

  it('does not retry at all with attempts: 1 (how the local API Gateway invokes)', async () => {
    api = await fakeLambdaApi(1, answersWith(null));
    invoker = lambdaInvoker(api.endpoint, 'us-east-1', options(1));

    const outcome = await invoker.invoke('fn', {});

    expect(outcome.ok).to.equal(false);
    expect(api.received).to.have.length(1);
  });
});
