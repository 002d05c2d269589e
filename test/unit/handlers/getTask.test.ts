import { expect } from 'chai';
import { createHandler } from '../../../handlers/getTask';
import { getTaskEvent, taskState } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';

describe('GET /tasks/{taskId} (getTask handler)', () => {
  let deps: TestDeps;
  const call = async (taskId: string) => {
    const result = await createHandler(() => deps)(getTaskEvent(taskId));
    return { ...result, json: JSON.parse(result.body) };
  };

  beforeEach(() => {
    deps = testDeps();
  });

  it('returns status, attempts, lastError, nextAttemptAt and the ordered history', async () => {
    const history = [
      { type: 'QUEUED' as const, at: '2026-01-01T00:00:00.000Z', attempt: 0 },
      { type: 'PROCESSING' as const, at: '2026-01-01T00:00:01.000Z', attempt: 1 },
      {
        type: 'RETRY_SCHEDULED' as const,
        at: '2026-01-01T00:00:02.000Z',
        attempt: 1,
        error: { name: 'SimulatedFailure', message: 'x' },
        delaySeconds: 2,
      },
    ];
    deps.store.tasks.set(
      'task-1',
      taskState({
        status: 'RETRY_SCHEDULED',
        attempts: 1,
        lastError: { name: 'SimulatedFailure', message: 'x' },
        nextAttemptAt: '2026-01-01T00:00:04.000Z',
        leaseId: undefined,
        history,
      }),
    );

    const res = await call('task-1');

    expect(res.statusCode).to.equal(200);
    expect(res.json).to.deep.include({
      taskId: 'task-1',
      status: 'RETRY_SCHEDULED',
      attempts: 1,
      maxAttempts: 3,
      nextAttemptAt: '2026-01-01T00:00:04.000Z',
    });
    expect(res.json.lastError).to.deep.equal({ name: 'SimulatedFailure', message: 'x' });
    expect(res.json.history).to.deep.equal(history);
    expect(res.json).not.to.have.any.keys('leaseId', 'leaseUntil', 'payloadHash');
  });

  it('answers 404 for a finished task past its retention that TTL has not deleted yet', async () => {
    deps = testDeps({ now: '2026-02-01T00:00:00.000Z' });
    deps.store.tasks.set('old', taskState({ taskId: 'old', status: 'SUCCEEDED', updatedAt: '2026-01-01T00:00:00.000Z' }));
    deps.store.tasks.set('recent', taskState({ taskId: 'recent', status: 'SUCCEEDED', updatedAt: '2026-01-02T00:00:01.000Z' }));

    const old = await createHandler(() => deps)(getTaskEvent('old'));
    const recent = await createHandler(() => deps)(getTaskEvent('recent'));

    expect(old.statusCode).to.equal(404);
    expect(JSON.parse(old.body).error.code).to.equal('TASK_NOT_FOUND');
    expect(recent.statusCode).to.equal(200);
  });

  it('answers 404 with a JSON error for an unknown taskId', async () => {
    const res = await call('nope');
    expect(res.statusCode).to.equal(404);
    expect(res.json.error).to.deep.include({ code: 'TASK_NOT_FOUND', message: "task 'nope' does not exist" });
  });

  it('answers 400 for a taskId outside the allowed characters', async () => {
    const res = await call('bad id!');
    expect(res.statusCode).to.equal(400);
    expect(res.json.error.details[0].field).to.equal('taskId');
  });
});
