import { expect } from 'chai';
import { createHandler as createSubmit } from '../../../handlers/submitTask';
import { reconcile } from '../../../lib/app/reconcile';
import { postTaskEvent } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';

describe('delayed start (POST /tasks with delaySeconds)', () => {
  let deps: TestDeps;

  beforeEach(() => {
    deps = testDeps();
  });

  const submit = async (body: unknown) => {
    const result = await createSubmit(() => deps)(postTaskEvent(body));
    return { ...result, json: JSON.parse(result.body) };
  };

  it('sends the first attempt with DelaySeconds and says when it is due in nextAttemptAt', async () => {
    const res = await submit({ taskId: 'd1', payload: {}, delaySeconds: 600 });

    expect(res.statusCode).to.equal(202);
    expect(res.json).to.include({ status: 'QUEUED', nextAttemptAt: '2026-01-01T00:10:00.000Z' });
    expect(res.json.history[0]).to.include({ type: 'QUEUED', delaySeconds: 600 });
    expect(deps.queue.enqueued).to.have.length(1);
    expect(deps.queue.enqueued[0].delaySeconds).to.equal(600);
  });

  it('re-sends what is left of the delay when the same task is submitted again before it is due', async () => {
    await submit({ taskId: 'd2', payload: {}, delaySeconds: 600 });
    deps.advance(200);

    const res = await submit({ taskId: 'd2', payload: {}, delaySeconds: 600 });

    expect(res.statusCode).to.equal(200);
    expect(deps.queue.enqueued.map((e) => e.delaySeconds)).to.deep.equal([600, 400]);
  });

  for (const bad of [-1, 901, 1.5, '10', null]) {
    it(`answers 400 naming delaySeconds for ${JSON.stringify(bad)}`, async () => {
      const res = await submit({ taskId: 'd3', payload: {}, delaySeconds: bad });

      expect(res.statusCode).to.equal(400);
      expect(res.json.error.details.map((d: { field: string }) => d.field)).to.deep.equal(['delaySeconds']);
      expect(deps.store.tasks.size).to.equal(0);
    });
  }

  it('is counted as due by the reconciler only once its delay is over (plus the grace)', async () => {
    await submit({ taskId: 'd4', payload: {}, delaySeconds: 900 });
    deps.queue.enqueued.length = 0;

    deps.advance(600);
    await reconcile(deps, { graceSeconds: 60, maxPerStatus: 100 });
    expect(deps.queue.enqueued, 'before it is due').to.have.length(0);

    deps.advance(400);
    await reconcile(deps, { graceSeconds: 60, maxPerStatus: 100 });
    expect(deps.queue.enqueued, 'once overdue').to.have.length(1);
  });
});
