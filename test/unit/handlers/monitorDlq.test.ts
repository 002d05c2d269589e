import { expect } from 'chai';
import { createHandler } from '../../../handlers/monitorDlq';
import { deadLetterMessage, sqsEvent, sqsRecord, taskMessage, taskState } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';
import { READ_BACK_ATTEMPTS } from '../../../lib/app/failDeadLettered';

describe('monitorDlq handler', () => {
  let deps: TestDeps;

  const run = async (...bodies: unknown[]) => {
    const records = bodies.map((body) => sqsRecord(body));
    const before = deps.log.entries.length;
    const result = await createHandler(() => deps)(sqsEvent(...records));
    const lines = deps.log.entries.slice(before);
    return { response: result, lines, failedLines: lines.filter((l) => l.message === 'TASK_FAILED'), records };
  };

  beforeEach(() => {
    deps = testDeps();
  });

  it('logs one TASK_FAILED line with taskId, payload and the error message, and marks the task FAILED', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));

    const { response, failedLines } = await run(deadLetterMessage({ payload: { order: 7 } }));

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(failedLines).to.have.length(1);
    expect(failedLines[0]).to.deep.include({
      level: 'ERROR',
      taskId: 'task-1',
      payload: { order: 7 },
      error: 'simulated work failed',
      errorName: 'SimulatedFailure',
      attempts: 3,
      source: 'DEAD_LETTERED',
      service: 'task-pipeline',
    });
    const task = deps.store.tasks.get('task-1')!;
    expect(task.status).to.equal('FAILED');
    expect(task.history.at(-1)).to.deep.include({
      type: 'FAILED',
      attempt: 3,
      error: { name: 'SimulatedFailure', message: 'simulated work failed' },
    });
  });

  it('does not add a second FAILED transition nor a second TASK_FAILED line for a duplicate DLQ message', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    await run(deadLetterMessage());

    const { response, failedLines, lines } = await run(deadLetterMessage());

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(failedLines).to.have.length(0);
    expect(lines.some((l) => l.message === 'DUPLICATE_DLQ_MESSAGE')).to.equal(true);
    expect(deps.store.tasks.get('task-1')!.history.filter((e) => e.type === 'FAILED')).to.have.length(1);
  });

  it('for a message moved by the RedrivePolicy, logs the last error recorded in DynamoDB and marks FAILED', async () => {
    deps.store.tasks.set(
      'task-1',
      taskState({ status: 'RETRY_SCHEDULED', attempts: 1, lastError: { name: 'SimulatedFailure', message: 'boom on attempt 1' } }),
    );

    const { failedLines } = await run(taskMessage({ attempt: 2, payload: { x: 1 } }));

    expect(failedLines).to.have.length(1);
    expect(failedLines[0]).to.deep.include({ taskId: 'task-1', payload: { x: 1 }, source: 'REDRIVE_POLICY' });
    expect(failedLines[0].error).to.contain('boom on attempt 1');
    const task = deps.store.tasks.get('task-1')!;
    expect(task.status).to.equal('FAILED');
    expect(task.lastError).to.deep.equal({ name: 'SimulatedFailure', message: 'boom on attempt 1' });
    expect(task.history.at(-1)!.error!.name).to.equal('MaxReceiveCountExceeded');
  });

  it('for a RedrivePolicy message of a task with no recorded error, says none was recorded', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'PROCESSING', attempts: 1, leaseId: 'l', leaseUntil: '2026-01-01T00:00:30.000Z' }));

    const { failedLines } = await run(taskMessage({ attempt: 1 }));

    expect(failedLines[0].error).to.match(/^no error was recorded/);
    expect(deps.store.tasks.get('task-1')!.status).to.equal('FAILED');
  });

  it('leaves a task alone when a stale RedrivePolicy message arrives after the task moved on', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'SUCCEEDED', attempts: 2 }));

    const { failedLines, lines } = await run(taskMessage({ attempt: 1 }));

    expect(failedLines).to.have.length(0);
    expect(lines.some((l) => l.message === 'STALE_DLQ_MESSAGE')).to.equal(true);
    expect(deps.store.tasks.get('task-1')!.status).to.equal('SUCCEEDED');
  });

  it('returns the record in batchItemFailures when DynamoDB fails, so the DLQ redelivers it', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    deps.store.transition = async () => {
      throw new Error('InternalServerError');
    };

    const { response, records } = await run(deadLetterMessage());

    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: records[0].messageId }]);
  });

  it('logs once when the FAILED write landed but its response was lost: the read-back finds its own write', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    const transition = deps.store.transition.bind(deps.store);
    deps.store.transition = async (t) => {
      await transition(t);
      throw new Error('socket hang up');
    };

    const { response, failedLines } = await run(deadLetterMessage());

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(failedLines).to.have.length(1);
    expect(deps.store.tasks.get('task-1')!.history.filter((e) => e.type === 'FAILED')).to.have.length(1);
  });

  it('logs once when SQS delivers the same DLQ message again after its first delivery logged (same messageId)', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    const first = await run(deadLetterMessage());

    // The same record again: a redelivery whose delete came too late, or SQS's at-least-once copy.
    const before = deps.log.entries.length;
    const response = await createHandler(() => deps)(sqsEvent(first.records[0]));
    const again = deps.log.entries.slice(before);

    expect(response.batchItemFailures).to.deep.equal([]);
    expect([...first.failedLines, ...again.filter((l) => l.message === 'TASK_FAILED')]).to.have.length(1);
    expect(again.map((l) => l.message)).to.include('DUPLICATE_DLQ_MESSAGE');
  });

  it('logs once when two deliveries of the same DLQ message run at once', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    const record = sqsRecord(deadLetterMessage());

    await Promise.all([createHandler(() => deps)(sqsEvent(record)), createHandler(() => deps)(sqsEvent(record))]);

    expect(deps.log.entries.filter((l) => l.message === 'TASK_FAILED')).to.have.length(1);
  });

  it('returns the record for redelivery when the FAILED write failed and the read-back fails too; the redelivery logs once', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    const { transition, get } = { transition: deps.store.transition.bind(deps.store), get: deps.store.get.bind(deps.store) };
    let reads = 0;
    deps.store.transition = async () => {
      throw new Error('ServiceUnavailable');
    };
    deps.store.get = async () => {
      reads += 1;
      throw new Error('ServiceUnavailable');
    };
    const first = await run(deadLetterMessage());
    deps.store.transition = transition;
    deps.store.get = get;

    const before = deps.log.entries.length;
    const response = await createHandler(() => deps)(sqsEvent(first.records[0]));
    const redelivered = deps.log.entries.slice(before).filter((l) => l.message === 'TASK_FAILED');

    expect(first.response.batchItemFailures).to.deep.equal([{ itemIdentifier: first.records[0].messageId }]);
    expect(reads, 'reads of the task after the failed write').to.equal(READ_BACK_ATTEMPTS);
    expect(response.batchItemFailures).to.deep.equal([]);
    expect([...first.failedLines, ...redelivered]).to.have.length(1);
  });

  it('logs an unreadable DLQ message whole and acknowledges it', async () => {
    const { response, lines } = await run('not json at all');

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(lines.find((l) => l.message === 'UNREADABLE_DLQ_MESSAGE')).to.include({ body: 'not json at all' });
  });

  it('treats a dead-letter message whose error has no name or message as unreadable, leaving the task DEAD_LETTERED', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'DEAD_LETTERED', attempts: 3 }));
    const body = { ...deadLetterMessage(), error: { code: 42 } };

    const { response, lines, failedLines } = await run(body);

    expect(response.batchItemFailures).to.deep.equal([]);
    expect(failedLines).to.have.length(0);
    expect(lines.find((l) => l.message === 'UNREADABLE_DLQ_MESSAGE')).to.include({
      reason: 'dead-letter message is missing taskId, attempts, payload or error',
    });
    expect(deps.store.tasks.get('task-1')!.status).to.equal('DEAD_LETTERED');
  });
});
