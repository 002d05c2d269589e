import { expect } from 'chai';
import { createHandler as createProcessor } from '../../../handlers/processTask';
import { createHandler as createSubmit } from '../../../handlers/submitTask';
import { createHandler as createGet } from '../../../handlers/getTask';
import { createHandler as createMonitor } from '../../../handlers/monitorDlq';
import { getTaskEvent, postTaskEvent, sqsEvent, sqsRecord } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';
import { defineTaskType, PermanentError, RetryLaterError, type TaskContext, type TaskType } from '../../../lib/types/contract';
import { MAX_RESULT_BYTES } from '../../../lib/app/runAttempt';

/** Types a test registers beside the stage's: what each one's handler does is the point of the test. */
function testTypes(seen: TaskContext[]): TaskType[] {
  return [
    defineTaskType({
      name: 'echo',
      description: 'returns its payload',
      policy: { maxAttempts: 2, baseSeconds: 3, timeoutSeconds: 1 },
      handle: (payload, ctx) => {
        seen.push(ctx);
        return { echoed: payload, attempt: ctx.attempt };
      },
    }),
    defineTaskType({
      name: 'refuses',
      description: 'fails permanently',
      policy: { maxAttempts: 5 },
      handle: () => {
        throw new PermanentError('the order does not exist');
      },
    }),
    defineTaskType({
      name: 'hangs',
      description: 'never finishes unless aborted',
      policy: { maxAttempts: 2, timeoutSeconds: 0.05 },
      handle: (_payload, ctx) => {
        seen.push(ctx);
        return new Promise(() => undefined);
      },
    }),
    defineTaskType({
      name: 'late',
      description: 'ignores its signal and answers after the deadline',
      policy: { maxAttempts: 2, timeoutSeconds: 0.05 },
      handle: () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 150)),
    }),
    defineTaskType({
      name: 'stalls',
      description: 'blocks the event loop past its deadline, then answers (as under load, before the deadline timer runs)',
      policy: { maxAttempts: 2, timeoutSeconds: 0.05 },
      handle: () => {
        const until = Date.now() + 80;
        while (Date.now() < until) {
          // Busy: no timer can run meanwhile.
        }
        return { late: true };
      },
    }),
    defineTaskType({
      name: 'throttled',
      description: 'asks to be retried after 120 s',
      policy: { maxAttempts: 3, baseSeconds: 1 },
      handle: () => {
        throw new RetryLaterError('429 from the upstream', 120);
      },
    }),
    defineTaskType({
      name: 'huge',
      description: 'returns a result over the limit',
      handle: () => ({ blob: 'x'.repeat(MAX_RESULT_BYTES) }),
    }),
    defineTaskType({
      name: 'circular',
      description: 'returns a result JSON cannot hold',
      handle: () => {
        const value: Record<string, unknown> = {};
        value.self = value;
        return value as never;
      },
    }),
  ];
}

describe('task types through the handlers', () => {
  let deps: TestDeps;
  let seen: TaskContext[];

  beforeEach(() => {
    seen = [];
    deps = testDeps({ types: testTypes(seen) });
  });

  const submit = async (body: unknown) => {
    const result = await createSubmit(() => deps)(postTaskEvent(body));
    return { ...result, json: JSON.parse(result.body) };
  };
  const get = async (taskId: string) => {
    const result = await createGet(() => deps)(getTaskEvent(taskId));
    return JSON.parse(result.body);
  };
  /** Delivers the newest message on the task queue to the processor. */
  const processNext = async () => {
    const { message } = deps.queue.enqueued.at(-1)!;
    const before = deps.log.entries.length;
    const result = await createProcessor(() => deps)(sqsEvent(sqsRecord(message)));
    const lines = deps.log.entries.slice(before);
    return { response: result, lines };
  };
  const monitorNext = async () => {
    const message = deps.queue.deadLettered.at(-1)!;
    const before = deps.log.entries.length;
    await createMonitor(() => deps)(sqsEvent(sqsRecord(message)));
    return { lines: deps.log.entries.slice(before) };
  };

  it('submits a typed task: stored with its type and its policy maxAttempts, the type in the message and the answer', async () => {
    const res = await submit({ taskId: 't1', type: 'echo', payload: { a: 1 } });

    expect(res.statusCode).to.equal(202);
    expect(res.json).to.include({ type: 'echo', maxAttempts: 2 });
    expect(deps.store.tasks.get('t1')).to.include({ type: 'echo', maxAttempts: 2 });
    expect(deps.queue.enqueued[0].message).to.include({ type: 'echo', attempt: 1 });
  });

  it('gives a task without a type the default type, simulated, with its three attempts', async () => {
    const res = await submit({ taskId: 't0', payload: {} });

    expect(res.json).to.include({ type: 'simulated', maxAttempts: 3 });
  });

  it('answers 400 for an unknown type, naming the known ones in details, and writes nothing', async () => {
    const res = await submit({ taskId: 't2', type: 'nope', payload: {} });

    expect(res.statusCode).to.equal(400);
    const detail = res.json.error.details.find((d: { field: string }) => d.field === 'type');
    expect(detail.problem).to.equal(
      'must be one of: simulated, webhook, wordCount, echo, refuses, hangs, late, stalls, throttled, huge, circular',
    );
    expect(deps.store.tasks.size).to.equal(0);
    expect(deps.queue.enqueued).to.have.length(0);
  });

  it('answers 409 for the same taskId and payload under another type', async () => {
    await submit({ taskId: 't3', type: 'echo', payload: { a: 1 } });
    const res = await submit({ taskId: 't3', payload: { a: 1 } });

    expect(res.statusCode).to.equal(409);
    expect(res.json.error.message).to.equal("task 't3' already exists with type 'echo'");
  });

  it('stores the handler result in the SUCCEEDED write and GET returns it as `result`', async () => {
    await submit({ taskId: 't4', type: 'echo', payload: { a: 1 } });
    const writesBefore = deps.store.tasks.get('t4')!.history.length;

    await processNext();

    const task = await get('t4');
    expect(task).to.include({ status: 'SUCCEEDED', attempts: 1 });
    expect(task.result).to.deep.equal({ echoed: { a: 1 }, attempt: 1 });
    // Claim + succeed: the result took no write of its own.
    expect(task.history.length - writesBefore).to.equal(2);
  });

  it('gives the handler its context: taskId, type, attempt, maxAttempts, correlationId, a live signal and the time left', async () => {
    await submit({ taskId: 't5', type: 'echo', payload: {} });
    await processNext();

    const [ctx] = seen;
    expect(ctx).to.include({ taskId: 't5', type: 'echo', attempt: 1, maxAttempts: 2, correlationId: 'id-1' });
    expect(ctx.signal.aborted).to.equal(false);
    expect(ctx.remainingMs()).to.be.within(0, 1000);
  });

  it('ends a PermanentError at once: DEAD_LETTERED after attempt 1 of 5, DLQ message marked permanent, FAILED with a permanent TASK_FAILED line', async () => {
    await submit({ taskId: 't6', type: 'refuses', payload: { order: 9 } });

    await processNext();

    expect(deps.store.tasks.get('t6')).to.include({ status: 'DEAD_LETTERED', attempts: 1 });
    expect(deps.queue.enqueued).to.have.length(1);
    expect(deps.queue.deadLettered[0]).to.include({ taskId: 't6', type: 'refuses', permanent: true, attempts: 1 });
    const { lines } = await monitorNext();

    const task = deps.store.tasks.get('t6')!;
    expect(task.status).to.equal('FAILED');
    expect(task.history.filter((e) => e.permanent).map((e) => e.type)).to.deep.equal(['DEAD_LETTERED', 'FAILED']);
    const failed = lines.filter((l) => l.message === 'TASK_FAILED');
    expect(failed).to.have.length(1);
    expect(failed[0]).to.include({ taskId: 't6', type: 'refuses', permanent: true, error: 'the order does not exist' });
  });

  it('times out a hanging attempt: its signal aborts, the attempt fails with AttemptTimedOut and is retried', async () => {
    await submit({ taskId: 't7', type: 'hangs', payload: {} });

    await processNext();

    expect(seen[0].signal.aborted).to.equal(true);
    const task = deps.store.tasks.get('t7')!;
    expect(task.status).to.equal('RETRY_SCHEDULED');
    expect(task.lastError).to.deep.include({ name: 'AttemptTimedOut' });
    expect(task.lastError!.message).to.contain('timeout of 0.05 s');
    expect(deps.queue.enqueued.at(-1)!.message.attempt).to.equal(2);
  });

  it('discards the late result of a handler that ignores its signal', async () => {
    await submit({ taskId: 't8', type: 'late', payload: {} });

    await processNext();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const task = deps.store.tasks.get('t8')!;
    expect(task.status).to.equal('RETRY_SCHEDULED');
    expect(task.resultJson).to.equal(undefined);
  });

  it('discards a result that arrives after the deadline even when the deadline timer has not run yet', async () => {
    await submit({ taskId: 't8b', type: 'stalls', payload: {} });

    await processNext();

    const task = deps.store.tasks.get('t8b')!;
    expect(task.status).to.equal('RETRY_SCHEDULED');
    expect(task.lastError).to.deep.include({ name: 'AttemptTimedOut' });
    expect(task.resultJson).to.equal(undefined);
  });

  it("waits at least a RetryLaterError's retryAfterSeconds before the retry", async () => {
    await submit({ taskId: 't9', type: 'throttled', payload: {} });

    await processNext();

    expect(deps.queue.enqueued.at(-1)!.delaySeconds).to.equal(120);
    expect(deps.store.tasks.get('t9')!.history.at(-1)).to.include({ type: 'RETRY_SCHEDULED', delaySeconds: 120 });
  });

  it('fails permanently with ResultTooLarge for a result over 64 KiB, saying so in the history', async () => {
    await submit({ taskId: 't10', type: 'huge', payload: {} });

    await processNext();

    const task = deps.store.tasks.get('t10')!;
    expect(task.status).to.equal('DEAD_LETTERED');
    expect(task.history.at(-1)).to.deep.include({ type: 'DEAD_LETTERED', permanent: true });
    expect(task.history.at(-1)!.error).to.include({ name: 'ResultTooLarge' });
  });

  it('fails permanently with ResultNotSerializable for a result JSON cannot hold', async () => {
    await submit({ taskId: 't11', type: 'circular', payload: {} });

    await processNext();

    expect(deps.store.tasks.get('t11')!.lastError).to.include({ name: 'ResultNotSerializable' });
  });

  it('ends a message of a type this stage does not run (UnknownTaskType) permanently rather than retrying it', async () => {
    await submit({ taskId: 't12', type: 'echo', payload: {} });
    deps.queue.enqueued[0].message.type = 'retired';

    await processNext();

    expect(deps.store.tasks.get('t12')!.lastError).to.include({ name: 'UnknownTaskType' });
    expect(deps.queue.deadLettered[0]).to.include({ permanent: true });
  });

  it('records metrics with the task type as a dimension', async () => {
    await submit({ taskId: 't13', type: 'echo', payload: {} });
    await processNext();

    expect(deps.metrics.recorded.filter((m) => m.type === 'echo').map((m) => m.name)).to.include.members([
      'TasksSubmitted',
      'AttemptsSucceeded',
    ]);
  });

  it('carries the type on every log line of an attempt', async () => {
    await submit({ taskId: 't14', type: 'refuses', payload: {} });
    const { lines } = await processNext();

    const attemptLines = lines.filter((l) => l.taskId === 't14');
    expect(attemptLines.length).to.be.greaterThan(0);
    for (const line of attemptLines) expect(line, String(line.message)).to.include({ type: 'refuses' });
  });
});
