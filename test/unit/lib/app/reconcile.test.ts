import { expect } from 'chai';
import { reconcile } from '../../../../lib/app/reconcile';
import { taskState } from '../../../helpers/factories';
import { shardOf } from '../../../../lib/domain/shards';
import { testDeps, type TestDeps } from '../../../helpers/fakes';

describe('reconcile (stuck-task sweeper)', () => {
  let deps: TestDeps;
  const options = { graceSeconds: 60, maxPerStatus: 1000 };
  const T0 = '2026-01-01T00:00:00.000Z';

  beforeEach(() => {
    deps = testDeps({ now: '2026-01-01T01:00:00.000Z' });
  });

  const add = (taskId: string, overrides: Parameters<typeof taskState>[0]) => {
    deps.store.tasks.set(taskId, taskState({ taskId, updatedAt: T0, ...overrides }));
    deps.store.payloads.set(taskId, JSON.stringify({ id: taskId }));
  };

  it('re-enqueues attempt 1 of a task left QUEUED by a crash between the write and SendMessage', async () => {
    add('q', { status: 'QUEUED', attempts: 0 });

    const report = await reconcile(deps, options);

    expect(report.resent.QUEUED).to.equal(1);
    expect(deps.queue.enqueued).to.deep.equal([
      { message: { taskId: 'q', type: 'simulated', attempt: 1, payload: { id: 'q' }, correlationId: 'corr-1' }, delaySeconds: 0 },
    ]);
  });

  it('re-enqueues the next attempt of a RETRY_SCHEDULED task whose retry message was lost', async () => {
    add('r', { status: 'RETRY_SCHEDULED', attempts: 2, nextAttemptAt: '2026-01-01T00:00:04.000Z' });

    await reconcile(deps, options);

    expect(deps.queue.enqueued.map((e) => e.message.attempt)).to.deep.equal([3]);
  });

  it('re-sends the same attempt of a PROCESSING task whose lease ran out with no redelivery', async () => {
    add('p', { status: 'PROCESSING', attempts: 2, leaseId: 'x', leaseUntil: '2026-01-01T00:00:30.000Z' });

    await reconcile(deps, options);

    expect(deps.queue.enqueued.map((e) => e.message.attempt)).to.deep.equal([2]);
  });

  it('re-sends the DLQ message of a DEAD_LETTERED task the monitor never saw', async () => {
    add('d', { status: 'DEAD_LETTERED', attempts: 3, lastError: { name: 'SimulatedFailure', message: 'boom' } });

    await reconcile(deps, options);

    expect(deps.queue.deadLettered).to.have.length(1);
    expect(deps.queue.deadLettered[0]).to.deep.include({
      taskId: 'd',
      attempts: 3,
      payload: { id: 'd' },
      error: { name: 'SimulatedFailure', message: 'boom' },
    });
  });

  it('leaves alone tasks within their grace time, tasks whose retry is not yet due and terminal tasks', async () => {
    add('fresh', { status: 'QUEUED', updatedAt: '2026-01-01T00:59:30.000Z' });
    add('later', { status: 'RETRY_SCHEDULED', attempts: 1, nextAttemptAt: '2026-01-01T01:10:00.000Z' });
    add('leased', { status: 'PROCESSING', attempts: 1, leaseUntil: '2026-01-01T01:00:20.000Z' });
    add('done', { status: 'SUCCEEDED', attempts: 1 });
    add('failed', { status: 'FAILED', attempts: 3 });

    const report = await reconcile(deps, options);

    expect(deps.queue.enqueued).to.deep.equal([]);
    expect(deps.queue.deadLettered).to.deep.equal([]);
    expect(report).to.deep.include({ resent: { QUEUED: 0, RETRY_SCHEDULED: 0, PROCESSING: 0, DEAD_LETTERED: 0 }, errors: 0 });
  });

  it('goes on with the other tasks when one task fails', async () => {
    add('q-bad', { status: 'QUEUED' });
    add('q-good', { status: 'QUEUED', updatedAt: '2026-01-01T00:00:01.000Z' });
    add('p', { status: 'PROCESSING', attempts: 1, leaseUntil: '2026-01-01T00:00:30.000Z' });
    add('d', { status: 'DEAD_LETTERED', attempts: 3 });
    const getPayload = deps.store.getPayload.bind(deps.store);
    deps.store.getPayload = async (taskId) => {
      if (taskId === 'q-bad') throw new Error('ThrottlingException');
      return getPayload(taskId);
    };

    const report = await reconcile(deps, options);

    expect(report.errors).to.equal(1);
    expect(report.resent).to.deep.equal({ QUEUED: 1, RETRY_SCHEDULED: 0, PROCESSING: 1, DEAD_LETTERED: 1 });
    expect(deps.queue.enqueued.map((e) => e.message.taskId).sort()).to.deep.equal(['p', 'q-good']);
  });

  it('counts a failed listing as an error and leaves the rest to the next sweep', async () => {
    add('q', { status: 'QUEUED' });
    deps.store.listUnfinishedBefore = async () => {
      throw new Error('InternalServerError');
    };

    const report = await reconcile(deps, options);

    // One failed listing per shard of the index.
    expect(report.errors).to.equal(deps.config.indexShards);
    expect(deps.queue.enqueued).to.deep.equal([]);
  });

  it('sweeps every unfinished shard, and a shard whose listing fails leaves the others to be swept', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);
    for (const id of ids) add(id, { status: 'QUEUED' });
    const failing = shardOf('s0', deps.config.indexShards);
    const list = deps.store.listUnfinishedBefore.bind(deps.store);
    const shardsAsked: number[] = [];
    deps.store.listUnfinishedBefore = async (before, o) => {
      shardsAsked.push(o.shard);
      if (o.shard === failing) throw new Error('InternalServerError');
      return list(before, o);
    };

    const report = await reconcile(deps, options);

    expect([...new Set(shardsAsked)].sort()).to.deep.equal([0, 1, 2, 3]);
    expect(report.errors).to.equal(1);
    const resent = deps.queue.enqueued.map((e) => e.message.taskId).sort();
    expect(resent).to.deep.equal(ids.filter((id) => shardOf(id, deps.config.indexShards) !== failing).sort());
    expect(report.resent.QUEUED).to.equal(resent.length);
  });

  it('re-sends at most maxPerStatus tasks per status in one run', async () => {
    for (let i = 0; i < 5; i++) add(`q${i}`, { status: 'QUEUED' });

    const report = await reconcile(deps, { graceSeconds: 60, maxPerStatus: 2 });

    expect(report.resent.QUEUED).to.equal(2);
    expect(deps.queue.enqueued).to.have.length(2);
  });
});
