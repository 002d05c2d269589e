import { expect } from 'chai';
import { createHandler } from '../../../handlers/submitTask';
import { postTaskEvent } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';

describe('POST /tasks (submitTask handler)', () => {
  let deps: TestDeps;
  let handler: ReturnType<typeof createHandler>;

  beforeEach(() => {
    deps = testDeps();
    handler = createHandler(() => deps);
  });

  const call = async (...args: Parameters<typeof postTaskEvent>) => {
    const result = await handler(postTaskEvent(...args));
    return { ...result, json: JSON.parse(result.body) };
  };

  it('records a new task as QUEUED, enqueues attempt 1 and answers 202 with a Location header', async () => {
    const res = await call({ taskId: 'order-42', payload: { sku: 'A1', qty: 2 } });

    expect(res.statusCode).to.equal(202);
    expect(res.headers).to.include({ Location: '/tasks/order-42', 'Content-Type': 'application/json' });
    expect(res.json).to.include({ taskId: 'order-42', status: 'QUEUED', attempts: 0, maxAttempts: 3, lastError: null });
    expect(res.json.history).to.deep.equal([{ type: 'QUEUED', at: '2026-01-01T00:00:00.000Z', attempt: 0 }]);
    expect(deps.store.tasks.get('order-42')?.status).to.equal('QUEUED');
    expect(deps.queue.enqueued).to.have.length(1);
    expect(deps.queue.enqueued[0]).to.deep.include({ delaySeconds: 0 });
    expect(deps.queue.enqueued[0].message).to.deep.include({ taskId: 'order-42', attempt: 1, payload: { sku: 'A1', qty: 2 } });
  });

  it("carries the caller's X-Correlation-Id into the task, its message and the response", async () => {
    const res = await call({ taskId: 'c1', payload: {} }, { 'Content-Type': 'application/json', 'X-Correlation-Id': 'req-7f3a' });

    expect(res.headers).to.include({ 'X-Correlation-Id': 'req-7f3a' });
    expect(res.json.correlationId).to.equal('req-7f3a');
    expect(deps.queue.enqueued[0].message.correlationId).to.equal('req-7f3a');
  });

  it("issues a new correlation id when the caller's is missing or unsafe to log", async () => {
    const res = await call({ taskId: 'c2', payload: {} }, { 'Content-Type': 'application/json', 'X-Correlation-Id': 'bad id\n' });

    expect(res.json.correlationId).to.equal('id-1');
    expect(res.headers).to.include({ 'X-Correlation-Id': 'id-1' });
  });

  it('answers 200 with the current state when the same taskId and payload come again, and processes nothing twice', async () => {
    await call({ taskId: 't1', payload: { a: 1, b: [1, 2] } });
    deps.store.tasks.get('t1')!.status = 'SUCCEEDED';

    const res = await call({ taskId: 't1', payload: { b: [1, 2], a: 1 } });

    expect(res.statusCode).to.equal(200);
    expect(res.json.status).to.equal('SUCCEEDED');
    expect(deps.queue.enqueued).to.have.length(1);
  });

  it('answers 409 and changes nothing when the taskId exists with a different payload', async () => {
    await call({ taskId: 't1', payload: { a: 1 } });
    const before = structuredClone(deps.store.tasks.get('t1'));

    const res = await call({ taskId: 't1', payload: { a: 2 } });

    expect(res.statusCode).to.equal(409);
    expect(res.json.error.code).to.equal('TASK_CONFLICT');
    expect(res.json.error.message).to.contain("'t1'");
    expect(deps.store.tasks.get('t1')).to.deep.equal(before);
    expect(deps.queue.enqueued).to.have.length(1);
  });

  it('answers 503 when the task was recorded but SendMessage failed, and a retry of the same request enqueues it', async () => {
    const enqueue = deps.queue.enqueue.bind(deps.queue);
    deps.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };
    const first = await call({ taskId: 't1', payload: { a: 1 } });
    expect(first.statusCode).to.equal(503);
    expect(first.json.error.code).to.equal('ENQUEUE_FAILED');
    expect(first.headers).to.include({ 'Retry-After': '1' });
    expect(deps.queue.enqueued).to.have.length(0);

    deps.queue.enqueue = enqueue;
    const retry = await call({ taskId: 't1', payload: { a: 1 } });

    expect(retry.statusCode).to.equal(200);
    expect(retry.json.status).to.equal('QUEUED');
    expect(deps.queue.enqueued.map((e) => e.message.attempt)).to.deep.equal([1]);
  });

  it('answers 400 naming the field for a missing taskId and writes nothing', async () => {
    const res = await call({ payload: {} });

    expect(res.statusCode).to.equal(400);
    expect(res.json.error).to.include({ code: 'VALIDATION_ERROR' });
    expect(res.json.error.details).to.deep.include({ field: 'taskId', problem: 'is required' });
    expect(deps.store.tasks.size).to.equal(0);
    expect(deps.queue.enqueued).to.have.length(0);
  });

  it('answers 400 for invalid JSON', async () => {
    const res = await call('{"taskId": "a",');
    expect(res.statusCode).to.equal(400);
    expect(res.json.error.details[0].field).to.equal('body');
    expect(res.json.error.message).to.contain('not valid JSON');
  });

  it('answers 400 for an unknown top-level field', async () => {
    const res = await call({ taskId: 'a', payload: {}, priority: 1 });
    expect(res.statusCode).to.equal(400);
    expect(res.json.error.details).to.deep.include({
      field: 'priority',
      problem: 'is not a known field (expected taskId, payload, type, delaySeconds)',
    });
  });

  it('answers 413 for a body over the documented maximum', async () => {
    const res = await call({ taskId: 'big', payload: { blob: 'x'.repeat(deps.config.maxBodyBytes) } });
    expect(res.statusCode).to.equal(413);
    expect(res.json.error.code).to.equal('PAYLOAD_TOO_LARGE');
    expect(deps.store.tasks.size).to.equal(0);
  });

  it('answers 415 when the body is not declared as JSON', async () => {
    const res = await call('taskId=a', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).to.equal(415);
    expect(res.json.error.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    expect(res.json.error.message).to.contain('application/json');
  });

  it('answers 500 without internals when the store fails unexpectedly, and logs the error', async () => {
    deps.store.create = async () => {
      throw new Error('secret internal detail');
    };
    const result = await handler(postTaskEvent({ taskId: 'a', payload: {} }));

    expect(result.statusCode).to.equal(500);
    expect(result.body).not.to.contain('secret');
    const [line] = deps.log.withMessage('REQUEST_FAILED');
    expect(line).to.include({ level: 'ERROR', service: 'task-pipeline' });
    expect(line.error).to.include({ name: 'Error', message: 'secret internal detail' });
  });
});
