import { expect } from 'chai';
import { createHandler } from '../../../handlers/processTask';
import { sqsEvent, sqsRecord, taskMessage, taskState } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';

/** A draw that makes the simulated work fail / succeed at failure rate 0.3. */
const FAIL = 0.1;
const PASS = 0.9;

describe('processTask handler', () => {
  let deps: TestDeps;

  const run = async (...bodies: unknown[]) => {
    const handler = createHandler(() => deps);
    const records = bodies.map((body) => sqsRecord(body));
    const before = deps.log.entries.length;
    const result = await handler(sqsEvent(...records));
    const lines = deps.log.entries.slice(before);
    return { response: result, lines, records };
  };

  /** Runs the message the previous attempt enqueued. */
  const runNext = () => run(deps.queue.enqueued.at(-1)!.message);

  beforeEach(() => {
    deps = testDeps({ randoms: [] });
    deps.store.tasks.set('task-1', taskState());
  });

  it('marks the task SUCCEEDED when the work succeeds on attempt 1', async () => {
    deps = testDeps({ randoms: [PASS] });
    deps.store.tasks.set('task-1', taskState());

    const { response } = await run(taskMessage());

    expect(response.batchItemFailures).to.deep.equal([]);
    const task = deps.store.tasks.get('task-1')!;
    expect(task).to.include({ status: 'SUCCEEDED', attempts: 1 });
    expect(task.leaseId).to.equal(undefined);
    expect(task.history.map((e) => e.type)).to.deep.equal(['QUEUED', 'PROCESSING', 'SUCCEEDED']);
    expect(deps.queue.enqueued).to.have.length(0);
  });

  it('re-enqueues attempt 2 with DelaySeconds 2 after the first failure and records RETRY_SCHEDULED', async () => {
    deps = testDeps({ randoms: [FAIL] });
    deps.store.tasks.set('task-1', taskState());

    const { response } = await run(taskMessage());

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(deps.queue.enqueued).to.deep.equal([{ message: taskMessage({ attempt: 2 }), delaySeconds: 2 }]);
    const task = deps.store.tasks.get('task-1')!;
    expect(task).to.include({ status: 'RETRY_SCHEDULED', attempts: 1, nextAttemptAt: '2026-01-01T00:00:02.000Z' });
    expect(task.lastError).to.include({ name: 'SimulatedFailure' });
    expect(task.history.at(-1)).to.include({ type: 'RETRY_SCHEDULED', attempt: 1, delaySeconds: 2 });
  });

  it('re-enqueues with DelaySeconds 4 after the second failure', async () => {
    deps = testDeps({ randoms: [FAIL, FAIL] });
    deps.store.tasks.set('task-1', taskState());

    await run(taskMessage());
    deps.advance(2);
    await runNext();

    expect(deps.queue.enqueued.map((e) => [e.message.attempt, e.delaySeconds])).to.deep.equal([
      [2, 2],
      [3, 4],
    ]);
    expect(deps.store.tasks.get('task-1')).to.include({ status: 'RETRY_SCHEDULED', attempts: 2 });
  });

  it('sends the task explicitly to the DLQ with payload and error after the third failure, and marks it DEAD_LETTERED', async () => {
    deps = testDeps({ randoms: [FAIL, FAIL, FAIL] });
    deps.store.tasks.set('task-1', taskState());

    await run(taskMessage({ payload: { order: 7 } }));
    await runNext();
    await runNext();

    expect(deps.queue.enqueued).to.have.length(2);
    expect(deps.queue.deadLettered).to.have.length(1);
    expect(deps.queue.deadLettered[0]).to.deep.include({ kind: 'DEAD_LETTERED', taskId: 'task-1', payload: { order: 7 }, attempts: 3 });
    expect(deps.queue.deadLettered[0].error).to.include({ name: 'SimulatedFailure' });
    expect(deps.queue.deadLettered[0].failedAt).to.be.a('string');
    const task = deps.store.tasks.get('task-1')!;
    expect(task).to.include({ status: 'DEAD_LETTERED', attempts: 3 });
    expect(task.history.map((e) => e.type)).to.deep.equal([
      'QUEUED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'DEAD_LETTERED',
    ]);
  });

  it('uses full jitter when configured: the delay is a draw in [0, base*2^n]', async () => {
    deps = testDeps({ randoms: [FAIL, 0.5], config: { backoff: { baseSeconds: 10, maxDelaySeconds: 900, jitter: 'full' } } });
    deps.store.tasks.set('task-1', taskState());

    await run(taskMessage());

    expect(deps.queue.enqueued[0].delaySeconds).to.equal(5);
    expect(deps.store.tasks.get('task-1')!.nextAttemptAt).to.equal('2026-01-01T00:00:05.000Z');
  });

  it('acknowledges a duplicate delivery of a finished attempt without processing it again', async () => {
    deps = testDeps({ randoms: [PASS] });
    deps.store.tasks.set('task-1', taskState());
    await run(taskMessage());

    const { response, lines } = await run(taskMessage());

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(deps.store.tasks.get('task-1')!.history).to.have.length(3);
    expect(lines.some((l) => l.message === 'DELIVERY_IGNORED')).to.equal(true);
  });

  it('ignores a concurrent duplicate while the claim lease is live', async () => {
    deps.store.tasks.set(
      'task-1',
      taskState({ status: 'PROCESSING', attempts: 1, leaseId: 'other', leaseUntil: '2026-01-01T00:00:30.000Z' }),
    );

    const { response } = await run(taskMessage());

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(deps.store.tasks.get('task-1')).to.include({ status: 'PROCESSING', leaseId: 'other' });
  });

  it('takes over an attempt whose lease expired (the earlier invocation crashed) and finishes it', async () => {
    deps = testDeps({ randoms: [PASS] });
    deps.store.tasks.set(
      'task-1',
      taskState({ status: 'PROCESSING', attempts: 1, leaseId: 'crashed', leaseUntil: '2025-12-31T23:59:59.000Z' }),
    );

    await run(taskMessage());

    const task = deps.store.tasks.get('task-1')!;
    expect(task).to.include({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('ignores a stale delivery of an earlier attempt', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'RETRY_SCHEDULED', attempts: 2 }));

    await run(taskMessage({ attempt: 1 }));

    expect(deps.store.tasks.get('task-1')).to.include({ status: 'RETRY_SCHEDULED', attempts: 2 });
    expect(deps.queue.enqueued).to.have.length(0);
  });

  it('reports only the record whose SendMessage failed in batchItemFailures, and its redelivery sends the owed retry', async () => {
    deps = testDeps({ randoms: [FAIL, PASS] });
    deps.store.tasks.set('task-1', taskState());
    deps.store.tasks.set('task-2', taskState({ taskId: 'task-2' }));
    const enqueue = deps.queue.enqueue.bind(deps.queue);
    deps.queue.enqueue = async () => {
      throw new Error('SQS throttled');
    };

    const { response, records } = await run(taskMessage(), taskMessage({ taskId: 'task-2' }));

    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: records[0].messageId }]);
    expect(deps.store.tasks.get('task-1')).to.include({ status: 'RETRY_SCHEDULED', attempts: 1 });
    expect(deps.store.tasks.get('task-2')).to.include({ status: 'SUCCEEDED' });

    deps.queue.enqueue = enqueue;
    deps.advance(1);
    const redelivery = await run(taskMessage());

    expect(redelivery.response.batchItemFailures).to.deep.equal([]);
    expect(deps.queue.enqueued).to.deep.equal([{ message: taskMessage({ attempt: 2 }), delaySeconds: 1 }]);
    expect(deps.store.tasks.get('task-1')!.history).to.have.length(3);
  });

  /** Makes the store commit a transition to `to` but answer as the SDK does when it repeated the write: condition failed. */
  const commitThenReportConditionFailed = (to: string) => {
    const transition = deps.store.transition.bind(deps.store);
    deps.store.transition = async (t) => {
      const result = await transition(t);
      if (t.to === to && result.applied) return { applied: false, current: result.task };
      return result;
    };
  };

  it('recognises its own claim when the SDK repeated it after a lost response, and finishes the attempt', async () => {
    deps = testDeps({ randoms: [PASS] });
    deps.store.tasks.set('task-1', taskState());
    commitThenReportConditionFailed('PROCESSING');

    await run(taskMessage());

    expect(deps.store.tasks.get('task-1')).to.include({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('still sends the retry when its own RETRY_SCHEDULED write was repeated by the SDK and reported as a condition failure', async () => {
    deps = testDeps({ randoms: [FAIL] });
    deps.store.tasks.set('task-1', taskState());
    commitThenReportConditionFailed('RETRY_SCHEDULED');

    await run(taskMessage());

    expect(deps.store.tasks.get('task-1')).to.include({ status: 'RETRY_SCHEDULED', attempts: 1 });
    expect(deps.queue.enqueued.map((e) => [e.message.attempt, e.delaySeconds])).to.deep.equal([[2, 2]]);
  });

  it('still sends the DLQ message when its own DEAD_LETTERED write was repeated by the SDK', async () => {
    deps = testDeps({ randoms: [FAIL] });
    deps.store.tasks.set('task-1', taskState({ status: 'RETRY_SCHEDULED', attempts: 2 }));
    commitThenReportConditionFailed('DEAD_LETTERED');

    await run(taskMessage({ attempt: 3 }));

    expect(deps.queue.deadLettered).to.have.length(1);
    expect(deps.queue.deadLettered[0]).to.deep.include({ taskId: 'task-1', attempts: 3 });
  });

  it('reports a record whose DynamoDB write failed, so SQS redelivers it', async () => {
    deps.store.transition = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    const { response, records, lines } = await run(taskMessage());

    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: records[0].messageId }]);
    expect(lines.find((l) => l.message === 'RECORD_FAILED')).to.include({ messageId: records[0].messageId });
  });

  it('reports a malformed message as failed so the RedrivePolicy moves it to the DLQ', async () => {
    const { response, records, lines } = await run({ hello: 'world' });

    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: records[0].messageId }]);
    expect(lines.some((l) => l.message === 'POISON_MESSAGE')).to.equal(true);
  });

  it("logs a poison message with the body's well-typed keys only: a taskId that is an object is left out, not logged whole", async () => {
    const { lines } = await run({ taskId: 'task-9', attempt: 7, correlationId: 'c-9' }, { taskId: { secret: 'x' }, attempt: 'two' });

    const poison = lines.filter((l) => l.message === 'POISON_MESSAGE');
    expect(poison[0]).to.include({ taskId: 'task-9', attempt: 7, correlationId: 'c-9' });
    expect(poison[1]).to.not.have.any.keys('taskId', 'attempt');
  });

  it('honours payload.simulate only where the stage allows it', async () => {
    deps = testDeps({ randoms: [PASS], config: { allowSimulationOverride: false } });
    deps.store.tasks.set('task-1', taskState());

    await run(taskMessage({ payload: { simulate: 'fail' } }));

    expect(deps.store.tasks.get('task-1')!.status).to.equal('SUCCEEDED');
  });

  it('fails exactly the attempts listed in payload.simulate.failOnAttempts', async () => {
    deps = testDeps({ randoms: [] });
    deps.store.tasks.set('task-1', taskState());

    await run(taskMessage({ payload: { simulate: { failOnAttempts: [1] } } }));
    await runNext();

    expect(deps.store.tasks.get('task-1')).to.include({ status: 'SUCCEEDED', attempts: 2 });
  });
});
