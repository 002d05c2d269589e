import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { instrumentSqs, UsageCounter } from '../../bench/counters';

/** An SQS client counted by `counter` whose requests are answered in-process (empty success), never sent. */
function countedSqs(counter: UsageCounter): SQSClient {
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  instrumentSqs(client, counter, 'pipeline');
  client.middlewareStack.add(() => async () => ({ output: { $metadata: { attempts: 1 }, Successful: [], Failed: [] }, response: {} }), {
    step: 'initialize',
    priority: 'low',
    name: 'answerInProcess',
  });
  return client;
}

const QUEUE_URL = 'http://localhost/000000000000/bench-tasks';
const entries = (count: number, bodyBytes: number) =>
  Array.from({ length: count }, (_, i) => ({ Id: String(i), MessageBody: 'x'.repeat(bodyBytes) }));

describe('bench SQS counter', () => {
  it('bills a SendMessageBatch of ten ~1 KB messages as one request and of ten ~64 KB ones by the 64 KB chunks of the call', async () => {
    const counter = new UsageCounter();
    const sqs = countedSqs(counter);

    await sqs.send(new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: entries(10, 1200) }));
    const small = counter.snapshot().ops.find((o) => o.detail === 'SendMessageBatch task queue');
    counter.reset();
    // 10 x 65,766 B = 657,660 B: 10.03 chunks of 65,536 B, billed as 11 requests.
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: entries(10, 65_766) }));
    const large = counter.snapshot().ops.find((o) => o.detail === 'SendMessageBatch task queue');

    expect(small).to.include({ calls: 1, messages: 10, payloadBytes: 12_000, billedRequests: 1 });
    expect(large).to.include({ calls: 1, messages: 10, billedRequests: 11 });
  });

  it("bills by the chunk size it is given (the price table's sqs.chunkBytes)", async () => {
    const counter = new UsageCounter();
    counter.sqsChunkBytes = 1000;
    const sqs = countedSqs(counter);

    await sqs.send(new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: entries(2, 1250) }));

    expect(counter.snapshot().ops[0]).to.include({ detail: 'SendMessageBatch task queue', billedRequests: 3 });
  });
});
