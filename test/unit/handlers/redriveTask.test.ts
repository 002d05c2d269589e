import { expect } from 'chai';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../../../handlers/redriveTask';
import { getTaskEvent, taskState } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';

describe('POST /tasks/{taskId}/redrive (redriveTask handler)', () => {
  let deps: TestDeps;
  const call = async (taskId: string) => {
    const event: APIGatewayProxyEvent = { ...getTaskEvent(taskId), httpMethod: 'POST', path: `/tasks/${taskId}/redrive` };
    const result = await createHandler(() => deps)(event);
    return { ...result, json: JSON.parse(result.body) };
  };

  beforeEach(() => {
    deps = testDeps();
    deps.store.payloads.set('task-1', JSON.stringify({ order: 7 }));
  });

  it('puts a FAILED task back to QUEUED with a fresh attempt budget, keeps its history and enqueues attempt 1', async () => {
    const failedHistory = [
      { type: 'QUEUED' as const, at: '2026-01-01T00:00:00.000Z', attempt: 0 },
      { type: 'FAILED' as const, at: '2026-01-01T00:00:09.000Z', attempt: 3 },
    ];
    deps.store.tasks.set('task-1', taskState({ status: 'FAILED', attempts: 3, history: failedHistory }));

    const res = await call('task-1');

    expect(res.statusCode).to.equal(202);
    expect(res.json).to.include({ status: 'QUEUED', attempts: 0 });
    expect(res.json.history.map((e: { type: string }) => e.type)).to.deep.equal(['QUEUED', 'FAILED', 'REDRIVEN']);
    expect(deps.queue.enqueued).to.deep.equal([
      { message: { taskId: 'task-1', type: 'simulated', attempt: 1, payload: { order: 7 }, correlationId: 'corr-1' }, delaySeconds: 0 },
    ]);
    expect(deps.metrics.total('TasksRedriven')).to.equal(1);
  });

  it('answers 503 without Retry-After when the message cannot be sent, leaving the task QUEUED for the reconciler', async () => {
    deps.store.tasks.set('task-1', taskState({ status: 'FAILED', attempts: 3 }));
    deps.queue.enqueue = async () => {
      throw Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' });
    };

    const res = await call('task-1');

    expect(res.statusCode).to.equal(503);
    expect(res.headers).to.not.have.property('Retry-After');
    expect(res.json.error).to.include({ code: 'ENQUEUE_FAILED' });
    expect(deps.store.tasks.get('task-1')).to.include({ status: 'QUEUED', attempts: 0 });
  });

  for (const status of ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'SUCCEEDED', 'DEAD_LETTERED'] as const) {
    it(`answers 409 and changes nothing for a ${status} task`, async () => {
      deps.store.tasks.set('task-1', taskState({ status, attempts: 1 }));

      const res = await call('task-1');

      expect(res.statusCode).to.equal(409);
      expect(res.json.error).to.include({ code: 'TASK_STATE_CONFLICT' });
      expect(res.json.error.message).to.contain(status);
      expect(deps.store.tasks.get('task-1')!.status).to.equal(status);
      expect(deps.queue.enqueued).to.have.length(0);
    });
  }

  it('answers 404 for an unknown task', async () => {
    const res = await call('nope');
    expect(res.statusCode).to.equal(404);
  });
});
