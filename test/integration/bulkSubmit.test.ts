import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { SqsTaskQueue } from '../../lib/adapters/taskQueue';
import { MessageRejectedError } from '../../lib/domain/errors';
import type { TaskState } from '../../lib/domain/task';
import { EDGE_CHARACTERS } from '../support/unicode';
import { startPipeline, type Pipeline } from './harness';

const isTerminal = (task: TaskState) => task.status === 'SUCCEEDED' || task.status === 'FAILED';

interface Result {
  index: number;
  taskId?: string;
  statusCode: number;
  error?: { code: string; details: unknown };
}

describe('POST /tasks/batch on DynamoDB Local and fauxqs (real handlers, SendMessageBatch)', function () {
  this.timeout(60_000);
  let pipeline: Pipeline;

  before(async function () {
    this.timeout(120_000);
    pipeline = await startPipeline({ backoffBaseSeconds: 1, visibilityTimeoutSeconds: 2 });
  });

  after(async function () {
    this.timeout(30_000);
    await pipeline?.stop();
  });

  it('takes 100 tasks in one request, edge characters and all: each finishes once with its payload intact, the doomed one in the DLQ', async () => {
    const tasks = Array.from({ length: 100 }, (_, i) => {
      const char = EDGE_CHARACTERS[i % EDGE_CHARACTERS.length];
      const payload: Record<string, unknown> = { i, s: `a${char}b`, [`k${char}`]: [char] };
      if (i === 42) payload.simulate = 'fail';
      return { taskId: `bulk-${i}`, payload, ...(i === 7 ? { delaySeconds: 2 } : {}) };
    });

    const answer = await pipeline.submitBatch(tasks);
    const results = answer.body.results as Result[];
    const finished = await Promise.all(tasks.map((t) => pipeline.waitFor(t.taskId, isTerminal, 45_000)));

    expect(answer.statusCode).to.equal(200);
    expect(answer.body.counts).to.deep.equal({ 202: 100 });
    expect(results.map((r) => r.taskId)).to.deep.equal(tasks.map((t) => t.taskId));
    expect(finished.filter((t) => t.status === 'FAILED').map((t) => t.taskId)).to.deep.equal(['bulk-42']);
    expect(finished.find((t) => t.taskId === 'bulk-0')?.attempts).to.equal(1);
    const delayed = finished.find((t) => t.taskId === 'bulk-7')!;
    const started = delayed.history.find((e) => e.type === 'PROCESSING')!;
    expect(Date.parse(started.at) - Date.parse(delayed.createdAt)).to.be.at.least(2000);
    expect(await Promise.all(tasks.map((t) => pipeline.deps.store.getPayload(t.taskId)))).to.deep.equal(tasks.map((t) => t.payload));
    const line = await pipeline.waitForLine('TASK_FAILED', 'bulk-42');
    expect(line.payload).to.deep.equal(tasks[42].payload);

    // The same batch again: every task is there with this payload; nothing runs twice.
    const again = await pipeline.submitBatch(tasks);
    expect(again.body.counts).to.deep.equal({ 200: 100 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await Promise.all(tasks.map((t) => pipeline.deps.store.get(t.taskId)));
    expect(after.map((t) => t?.history.filter((e) => e.type === 'PROCESSING').length)).to.deep.equal(
      finished.map((t) => t.history.filter((e) => e.type === 'PROCESSING').length),
    );
  });

  it('answers a mixed batch task by task: the valid ones finish, the invalid, conflicting and repeated ones write nothing', async () => {
    await pipeline.submit('mixed-existing', { v: 1 });

    const answer = await pipeline.submitBatch([
      { taskId: 'mixed-a', payload: {} },
      { taskId: 'mixed-existing', payload: { v: 2 } },
      { taskId: 'mixed-bad', payload: { deep: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) } },
      { taskId: 'mixed-a', payload: {} },
      { taskId: 'mixed-hook', type: 'webhook', payload: { url: 'http://169.254.169.254/latest/meta-data' } },
      { taskId: 'mixed-b', payload: { simulate: 'succeed' } },
    ]);
    const results = answer.body.results as Result[];

    expect(results.map((r) => r.statusCode)).to.deep.equal([202, 409, 400, 400, 400, 202]);
    expect(results[1].error?.code).to.equal('TASK_CONFLICT');
    const done = await Promise.all(['mixed-a', 'mixed-b'].map((id) => pipeline.waitFor(id, isTerminal)));
    expect(done.map((t) => t.status)).to.deep.equal(['SUCCEEDED', 'SUCCEEDED']);
    expect(await pipeline.deps.store.get('mixed-bad')).to.equal(undefined);
    expect(await pipeline.deps.store.get('mixed-hook')).to.equal(undefined);
    expect((await pipeline.deps.store.getPayload('mixed-existing')) as unknown).to.deep.equal({ v: 1 });
  });

  it('reports an entry fauxqs refuses inside a SendMessageBatch as MessageRejectedError, and sends the rest of the call', async () => {
    const { QueueUrl } = await pipeline.servers.clients.sqs.send(
      new CreateQueueCommand({ QueueName: 'tiny-batch', Attributes: { MaximumMessageSize: '1024' } }),
    );
    const tiny = new SqsTaskQueue(pipeline.servers.clients.sqs, { queueUrl: QueueUrl!, dlqUrl: QueueUrl! });
    const message = (taskId: string, blob: string) => ({
      message: { taskId, type: 'simulated', attempt: 1, payload: { blob }, correlationId: 'c' },
      delaySeconds: 0,
    });

    const outcomes = await tiny.enqueueBatch([message('small-1', 'x'), message('big', 'x'.repeat(2000)), message('small-2', 'y')]);

    expect(outcomes[0]).to.deep.equal({ sent: true });
    expect(outcomes[2]).to.deep.equal({ sent: true });
    expect(outcomes[1].sent).to.equal(false);
    expect((outcomes[1] as { error: unknown }).error).to.be.instanceOf(MessageRejectedError);
  });
});
