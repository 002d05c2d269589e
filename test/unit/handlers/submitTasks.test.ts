import { expect } from 'chai';
import sinon from 'sinon';
import { createHandler } from '../../../handlers/submitTasks';
import { createHandler as createSubmit } from '../../../handlers/submitTask';
import { postBatchEvent, postTaskEvent } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';
import { METRIC } from '../../../lib/adapters/metrics';
import type { TaskMessage } from '../../../lib/domain/task';

describe('POST /tasks/batch (submitTasks handler)', () => {
  let deps: TestDeps;
  let handler: ReturnType<typeof createHandler>;

  beforeEach(() => {
    deps = testDeps();
    handler = createHandler(() => deps);
  });

  const call = async (...args: Parameters<typeof postBatchEvent>) => {
    const result = await handler(postBatchEvent(...args));
    return { ...result, json: JSON.parse(result.body) };
  };
  const tasks = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ taskId: `t-${from + i}`, payload: { n: from + i } }));

  it('records and enqueues every task, answering one 202 result per task in request order', async () => {
    const res = await call({ tasks: tasks(25) });

    expect(res.statusCode).to.equal(200);
    expect(res.headers).to.not.have.property('Retry-After');
    expect(res.json.counts).to.deep.equal({ 202: 25 });
    expect(res.json.results.map((r: { index: number; taskId: string }) => [r.index, r.taskId])).to.deep.equal(
      tasks(25).map((t, i) => [i, t.taskId]),
    );
    expect(res.json.results[7]).to.deep.include({ statusCode: 202 });
    expect(res.json.results[7].task).to.include({ taskId: 't-7', status: 'QUEUED', attempts: 0 });
    expect(deps.store.tasks.size).to.equal(25);
    expect(deps.queue.enqueued.map((e) => e.message.taskId).sort()).to.deep.equal(
      tasks(25)
        .map((t) => t.taskId)
        .sort(),
    );
    expect(deps.queue.batches, 'one enqueueBatch call for the batch').to.deep.equal([25]);
    expect(deps.metrics.total(METRIC.TasksSubmitted)).to.equal(25);
  });

  it('records a task exactly as POST /tasks does: type, delayed start and correlation id', async () => {
    const res = await call(
      { tasks: [{ taskId: 'w1', payload: { text: 'a b c' }, type: 'wordCount', delaySeconds: 30 }] },
      { 'Content-Type': 'application/json', 'X-Correlation-Id': 'bulk-7' },
    );
    const single = await createSubmit(() => deps)(
      postTaskEvent(
        { taskId: 'w2', payload: { text: 'a b c' }, type: 'wordCount', delaySeconds: 30 },
        {
          'Content-Type': 'application/json',
          'X-Correlation-Id': 'bulk-7',
        },
      ),
    );

    expect(res.headers).to.include({ 'X-Correlation-Id': 'bulk-7' });
    const { taskId: _a, ...batched } = res.json.results[0].task;
    const { taskId: _b, ...alone } = JSON.parse(single.body);
    expect(batched).to.deep.equal(alone);
    expect(batched).to.include({ type: 'wordCount', correlationId: 'bulk-7', nextAttemptAt: '2026-01-01T00:00:30.000Z' });
    expect(deps.queue.enqueued.map((e) => e.delaySeconds)).to.deep.equal([30, 30]);
  });

  it('answers each task on its own: 400 for a bad one (named tasks[i].field), 409 for a conflict, 200 for a repeat', async () => {
    await call({
      tasks: [
        { taskId: 'old', payload: { a: 1 } },
        { taskId: 'other', payload: { a: 1 } },
      ],
    });
    deps.queue.enqueued.length = 0;

    const res = await call({
      tasks: [
        { taskId: 'new-1', payload: {} },
        { taskId: 'old', payload: { a: 1 } },
        { taskId: 'other', payload: { a: 2 } },
        { taskId: 'bad-payload', payload: 'nope' },
        { payload: {} },
        { taskId: 'typo', payload: {}, tpye: 'webhook' },
      ],
    });

    expect(res.json.results.map((r: { statusCode: number }) => r.statusCode)).to.deep.equal([202, 200, 409, 400, 400, 400]);
    expect(res.json.counts).to.deep.equal({ 202: 1, 200: 1, 409: 1, 400: 3 });
    expect(res.json.results[2]).to.deep.include({ taskId: 'other' });
    expect(res.json.results[2].error.code).to.equal('TASK_CONFLICT');
    expect(res.json.results[3]).to.deep.include({ taskId: 'bad-payload' });
    expect(res.json.results[3].error.details).to.deep.equal([{ field: 'tasks[3].payload', problem: 'must be a JSON object, got string' }]);
    expect(res.json.results[4]).to.not.have.property('taskId');
    expect(res.json.results[4].error.details).to.deep.equal([{ field: 'tasks[4].taskId', problem: 'is required' }]);
    expect(res.json.results[5].error.details[0]).to.deep.include({ field: 'tasks[5].tpye' });
    expect(res.json.results[5].error.message).to.match(/^invalid tasks\[5\]: tasks\[5\]\.tpye is not a known field/);
    // 'old' still waits for its first attempt, so it is owed its message again, as a single resubmit is.
    expect(deps.queue.enqueued.map((e) => e.message.taskId)).to.deep.equal(['new-1', 'old']);
    expect(deps.store.tasks.has('bad-payload')).to.equal(false);
  });

  it('refuses a taskId that repeats an earlier task of the batch, naming the first one, and processes the first', async () => {
    const res = await call({
      tasks: [
        { taskId: 'dup', payload: { a: 1 } },
        { taskId: 'x', payload: {} },
        { taskId: 'dup', payload: { a: 1 } },
      ],
    });

    expect(res.json.results.map((r: { statusCode: number }) => r.statusCode)).to.deep.equal([202, 202, 400]);
    expect(res.json.results[2].error.details).to.deep.equal([
      { field: 'tasks[2].taskId', problem: "repeats tasks[0].taskId 'dup'; a batch holds each taskId once" },
    ]);
    expect(deps.queue.enqueued.filter((e) => e.message.taskId === 'dup')).to.have.length(1);
  });

  it('reports a 503 with Retry-After for tasks whose send failed; the same batch again sends only those', async () => {
    const enqueue = deps.queue.enqueue.bind(deps.queue);
    const failing = new Set(['t-2', 't-5']);
    const stub = sinon.stub(deps.queue, 'enqueue').callsFake(async (message: TaskMessage, delay: number) => {
      if (failing.has(message.taskId)) throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' });
      return enqueue(message, delay);
    });

    const first = await call({ tasks: tasks(8) });

    expect(first.headers).to.include({ 'Retry-After': '1' });
    expect(first.json.counts).to.deep.equal({ 202: 6, 503: 2 });
    expect(first.json.results[2]).to.deep.include({ taskId: 't-2', statusCode: 503 });
    expect(first.json.results[2].error).to.deep.include({ code: 'ENQUEUE_FAILED', details: { taskId: 't-2' } });
    expect(deps.store.tasks.get('t-2')?.status, 'recorded, owed its message').to.equal('QUEUED');

    failing.clear();
    stub.resetHistory();
    const again = await call({ tasks: tasks(8) });

    expect(again.headers).to.not.have.property('Retry-After');
    expect(again.json.counts).to.deep.equal({ 200: 8 });
    // Every QUEUED task waiting for attempt 1 is owed again (as a single resubmit would); the
    // processor's step gate makes the second delivery of the others a no-op.
    expect(stub.callCount).to.equal(8);
    expect(deps.queue.enqueued.filter((e) => e.message.taskId === 't-2')).to.have.length(1);
    expect(deps.metrics.total(METRIC.TasksSubmitted), 'each task counted once, when recorded').to.equal(8);
  });

  it('does not resend a task that has started or finished when the batch comes again', async () => {
    await call({ tasks: tasks(3) });
    deps.store.tasks.get('t-0')!.status = 'SUCCEEDED';
    deps.store.tasks.get('t-1')!.attempts = 1;
    deps.store.tasks.get('t-1')!.status = 'PROCESSING';
    deps.queue.enqueued.length = 0;

    const res = await call({ tasks: tasks(3) });

    expect(res.json.counts).to.deep.equal({ 200: 3 });
    expect(deps.queue.enqueued.map((e) => e.message.taskId)).to.deep.equal(['t-2']);
  });

  it('ends FAILED, with a 422 for that task only, a task whose message SQS refuses as invalid', async () => {
    deps.queue.refuse = (message) => message.taskId === 't-1';

    const res = await call({ tasks: tasks(3) });

    expect(res.json.counts).to.deep.equal({ 202: 2, 422: 1 });
    expect(res.json.results[1].error).to.deep.include({ code: 'MESSAGE_REJECTED' });
    expect(deps.store.tasks.get('t-1')?.status).to.equal('FAILED');
    expect(deps.log.withMessage('TASK_FAILED').map((l) => l.taskId)).to.deep.equal(['t-1']);
    expect(res.headers).to.not.have.property('Retry-After');
  });

  it('answers 503 RECORD_FAILED for a task the store could not record, and records the others', async () => {
    const create = deps.store.create.bind(deps.store);
    sinon.stub(deps.store, 'create').callsFake(async (task, json) => {
      if (task.taskId === 't-1') throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' });
      return create(task, json);
    });

    const res = await call({ tasks: tasks(3) });

    expect(res.headers).to.include({ 'Retry-After': '1' });
    expect(res.json.results[1]).to.deep.include({ taskId: 't-1', statusCode: 503 });
    expect(res.json.results[1].error).to.deep.include({ code: 'RECORD_FAILED', details: { taskId: 't-1' } });
    expect(res.json.results[1].error.message).to.not.include('Throughput');
    expect([...deps.store.tasks.keys()].sort()).to.deep.equal(['t-0', 't-2']);
    expect(deps.log.withMessage('TASK_RECORD_FAILED')).to.have.length(1);
  });

  describe('a malformed envelope is refused whole and writes nothing', () => {
    const cases: [string, unknown, number, string, string][] = [
      ['not JSON', '{"tasks": [', 400, 'body', 'is not valid JSON'],
      ['an array', [{ taskId: 'a', payload: {} }], 400, 'body', 'must be a JSON object, got array'],
      ['no tasks', {}, 400, 'tasks', 'is required (must be an array of 1 to 100 tasks)'],
      ['tasks not an array', { tasks: { taskId: 'a' } }, 400, 'tasks', 'must be an array of 1 to 100 tasks, got object'],
      ['no task', { tasks: [] }, 400, 'tasks', 'must be an array of 1 to 100 tasks, got none'],
      ['101 tasks', { tasks: tasks(101) }, 400, 'tasks', 'must be an array of 1 to 100 tasks, got 101'],
      ['an unknown field', { tasks: tasks(1), dryRun: true }, 400, 'dryRun', 'is not a known field (expected tasks)'],
    ];
    for (const [name, body, status, field, problem] of cases) {
      it(`${name}: ${status} naming ${field}`, async () => {
        const res = await call(body);

        expect(res.statusCode).to.equal(status);
        expect(res.json.error.code).to.equal('VALIDATION_ERROR');
        expect(res.json.error.details[0].field).to.equal(field);
        expect(res.json.error.details[0].problem).to.include(problem);
        expect(deps.store.tasks.size).to.equal(0);
        expect(deps.queue.enqueued).to.have.length(0);
      });
    }

    it('a body over the size limit: 413, like POST /tasks', async () => {
      const big = 'x'.repeat(deps.config.maxBodyBytes);
      const res = await call({ tasks: [{ taskId: 'a', payload: { big } }] });

      expect(res.statusCode).to.equal(413);
      expect(deps.store.tasks.size).to.equal(0);
    });

    it('a body that is not JSON by its Content-Type: 415', async () => {
      const res = await call({ tasks: tasks(1) }, { 'Content-Type': 'text/plain' });

      expect(res.statusCode).to.equal(415);
      expect(deps.store.tasks.size).to.equal(0);
    });
  });

  it("refuses the taskId 'batch' on both routes: its GET would be the batch route", async () => {
    const res = await call({ tasks: [{ taskId: 'batch', payload: {} }] });
    const single = await createSubmit(() => deps)(postTaskEvent({ taskId: 'batch', payload: {} }));

    expect(res.json.results[0].statusCode).to.equal(400);
    expect(res.json.results[0].error.details[0].problem).to.include("must not be 'batch'");
    expect(single.statusCode).to.equal(400);
    expect(deps.store.tasks.size).to.equal(0);
  });
});
