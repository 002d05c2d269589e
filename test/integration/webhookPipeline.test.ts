import { expect } from 'chai';
import type { TaskState } from '../../lib/domain/task';
import { startPipeline, type Pipeline } from './harness';
import { startReceiver, status } from '../support/webhookReceiver';

const finished = (task: TaskState) => task.status === 'SUCCEEDED' || task.status === 'FAILED';
const events = (task: TaskState) => task.history.map((e) => e.type);

/**
 * The webhook type through the whole pipeline (real handlers on DynamoDB Local and fauxqs, the
 * processor's retries by SQS DelaySeconds) against a receiver on 127.0.0.1 that answers in
 * scripted ways. The harness runs the webhook type on a short clock: retries after 1 s, 2 s, ...,
 * 0.5 s per attempt.
 */
describe('webhook tasks through the pipeline, against a local receiver', function () {
  this.timeout(60_000);
  let pipeline: Pipeline;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async function () {
    this.timeout(120_000);
    pipeline = await startPipeline({ backoffBaseSeconds: 1, visibilityTimeoutSeconds: 2 });
    receiver = await startReceiver();
  });

  after(async function () {
    this.timeout(30_000);
    await receiver?.close();
    await pipeline?.stop();
  });

  beforeEach(() => {
    receiver.received.length = 0;
  });

  it('retries 503, 503 and succeeds on the 200, with {status, durationMs} as the result and one idempotency key', async () => {
    receiver.answer(status(503), status(503), status(200));

    const submitted = await pipeline.submit('hook-ok', { url: receiver.url('/ok'), body: { order: 7, note: 'é😀' } }, { type: 'webhook' });
    expect(submitted.statusCode).to.equal(202);
    const task = await pipeline.waitFor('hook-ok', finished);

    expect(task).to.include({ status: 'SUCCEEDED', attempts: 3, type: 'webhook' });
    const result = JSON.parse(task.resultJson!);
    expect(result.status).to.equal(200);
    expect(result.durationMs).to.be.a('number').that.is.at.least(0);
    expect(task.history.filter((e) => e.type === 'RETRY_SCHEDULED').map((e) => e.error?.message)).to.have.length(2);
    expect(receiver.received.map((r) => r.path)).to.deep.equal(['/ok', '/ok', '/ok']);
    expect(receiver.received.map((r) => JSON.parse(r.body))).to.deep.equal(Array(3).fill({ order: 7, note: 'é😀' }));
    expect(new Set(receiver.received.map((r) => r.headers['idempotency-key']))).to.deep.equal(new Set(['hook-ok']));
  });

  it('fails a 400 permanently after one attempt: DEAD_LETTERED, then FAILED with one permanent TASK_FAILED line', async () => {
    receiver.answer(status(400));

    await pipeline.submit('hook-400', { url: receiver.url('/bad') }, { type: 'webhook' });
    const task = await pipeline.waitFor('hook-400', finished);
    const line = await pipeline.waitForLine('TASK_FAILED', 'hook-400');

    expect(task).to.include({ status: 'FAILED', attempts: 1 });
    expect(events(task)).to.deep.equal(['QUEUED', 'PROCESSING', 'DEAD_LETTERED', 'FAILED']);
    expect(task.history[2]).to.include({ permanent: true });
    expect(line).to.include({ type: 'webhook', permanent: true });
    expect(receiver.received).to.have.length(1);
  });

  it('does not follow a 302: the task fails permanently and the redirect target is never requested', async () => {
    receiver.answer((_req, res) => res.writeHead(302, { Location: receiver.url('/elsewhere') }).end());

    await pipeline.submit('hook-302', { url: receiver.url('/start') }, { type: 'webhook' });
    const task = await pipeline.waitFor('hook-302', finished);

    expect(task).to.include({ status: 'FAILED', attempts: 1 });
    expect(task.lastError!.message).to.contain('redirect');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((r) => r.path)).to.deep.equal(['/start']);
  });

  it('times out an attempt the receiver never answers, and succeeds on the next one', async () => {
    receiver.answer(() => undefined, status(204));

    await pipeline.submit('hook-hang', { url: receiver.url('/slow') }, { type: 'webhook' });
    const task = await pipeline.waitFor('hook-hang', finished);

    expect(task).to.include({ status: 'SUCCEEDED', attempts: 2 });
    expect(task.history.find((e) => e.type === 'RETRY_SCHEDULED')!.error).to.include({ name: 'AttemptTimedOut' });
    expect(JSON.parse(task.resultJson!)).to.include({ status: 204 });
  });

  it('refuses a webhook to a private address at submit with a 400 naming payload.url, writing nothing', async () => {
    const res = await pipeline.submit('hook-private', { url: 'https://192.168.0.10/hook' }, { type: 'webhook' });

    expect(res.statusCode).to.equal(400);
    expect(JSON.stringify(res.body)).to.contain('payload.url');
    expect(await pipeline.deps.store.get('hook-private')).to.equal(undefined);
  });
});
