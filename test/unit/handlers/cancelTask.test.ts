import { expect } from 'chai';
import { createHandler as createCancel } from '../../../handlers/cancelTask';
import { createHandler as createProcessor } from '../../../handlers/processTask';
import { createHandler as createRedrive } from '../../../handlers/redriveTask';
import { reconcile } from '../../../lib/app/reconcile';
import { sqsEvent, sqsRecord, taskMessage, taskState } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { TaskStatus } from '../../../lib/domain/task';

const cancelEvent = (taskId: string) =>
  ({
    httpMethod: 'POST',
    path: `/tasks/${taskId}/cancel`,
    pathParameters: { taskId },
    headers: {},
    body: null,
  }) as unknown as APIGatewayProxyEvent;

describe('POST /tasks/{taskId}/cancel (cancelTask handler)', () => {
  let deps: TestDeps;

  beforeEach(() => {
    deps = testDeps({ randoms: [0.9, 0.9] });
  });

  const cancel = async (taskId: string) => {
    const before = deps.log.entries.length;
    const result = await createCancel(() => deps)(cancelEvent(taskId));
    const lines = deps.log.entries.slice(before);
    return { ...result, json: JSON.parse(result.body), lines };
  };

  for (const status of ['QUEUED', 'RETRY_SCHEDULED'] as const) {
    it(`cancels a ${status} task: 200 with the task CANCELLED and one CANCELLED event`, async () => {
      deps.store.tasks.set('c1', taskState({ taskId: 'c1', status, attempts: status === 'QUEUED' ? 0 : 1 }));

      const res = await cancel('c1');

      expect(res.statusCode).to.equal(200);
      expect(res.json).to.include({ taskId: 'c1', status: 'CANCELLED' });
      expect(res.json.history.at(-1)).to.include({ type: 'CANCELLED', attempt: status === 'QUEUED' ? 0 : 1 });
      expect(deps.store.tasks.get('c1')!.status).to.equal('CANCELLED');
      expect(deps.log.withMessage('TASK_CANCELLED')).to.have.length(1);
    });
  }

  it('is idempotent: cancelling a CANCELLED task again answers 200 and writes nothing', async () => {
    deps.store.tasks.set('c2', taskState({ taskId: 'c2' }));
    await cancel('c2');
    const before = deps.store.tasks.get('c2')!.history.length;

    const res = await cancel('c2');

    expect(res.statusCode).to.equal(200);
    expect(res.json.status).to.equal('CANCELLED');
    expect(deps.store.tasks.get('c2')!.history).to.have.length(before);
  });

  it('answers 409 TASK_STATE_CONFLICT for a PROCESSING task, saying the attempt is running', async () => {
    deps.store.tasks.set('c3', taskState({ taskId: 'c3', status: 'PROCESSING', attempts: 1 }));

    const res = await cancel('c3');

    expect(res.statusCode).to.equal(409);
    expect(res.json.error.code).to.equal('TASK_STATE_CONFLICT');
    expect(res.json.error.message).to.contain('an attempt is running');
    expect(deps.store.tasks.get('c3')!.status).to.equal('PROCESSING');
  });

  for (const status of ['SUCCEEDED', 'FAILED', 'DEAD_LETTERED'] as TaskStatus[]) {
    it(`answers 409 for a ${status} task and changes nothing`, async () => {
      deps.store.tasks.set('c4', taskState({ taskId: 'c4', status, attempts: 3 }));

      const res = await cancel('c4');

      expect(res.statusCode).to.equal(409);
      expect(res.json.error.details).to.include({ taskId: 'c4', status });
      expect(deps.store.tasks.get('c4')!.status).to.equal(status);
    });
  }

  it('answers 404 for an unknown task and 400 for an invalid taskId', async () => {
    expect((await cancel('missing')).statusCode).to.equal(404);
    expect((await cancel('a b')).statusCode).to.equal(400);
  });

  it('absorbs the message still in the queue: its delivery finds the task CANCELLED and changes nothing', async () => {
    deps.store.tasks.set('task-1', taskState());
    await cancel('task-1');

    const result = await createProcessor(() => deps)(sqsEvent(sqsRecord(taskMessage())));

    expect(result.batchItemFailures).to.deep.equal([]);
    expect(deps.store.tasks.get('task-1')!.status).to.equal('CANCELLED');
    expect(deps.store.tasks.get('task-1')!.history.map((e) => e.type)).to.deep.equal(['QUEUED', 'CANCELLED']);
  });

  it('lets a CANCELLED task be redriven like a FAILED one, and it runs again', async () => {
    deps.store.tasks.set('task-1', taskState());
    deps.store.payloads.set('task-1', '{"n":1}');
    await cancel('task-1');

    const result = await createRedrive(() => deps)({ ...cancelEvent('task-1'), path: '/tasks/task-1/redrive' } as APIGatewayProxyEvent);

    expect(result.statusCode).to.equal(202);
    expect(deps.store.tasks.get('task-1')).to.include({ status: 'QUEUED', attempts: 0 });
    await createProcessor(() => deps)(sqsEvent(sqsRecord(deps.queue.enqueued.at(-1)!.message)));
    expect(deps.store.tasks.get('task-1')!.status).to.equal('SUCCEEDED');
  });

  it('is left alone by the reconciler, however old', async () => {
    deps.store.tasks.set('task-1', taskState());
    deps.store.payloads.set('task-1', '{"n":1}');
    await cancel('task-1');
    deps.advance(86_400);

    const report = await reconcile(deps, { graceSeconds: 60, maxPerStatus: 100 });

    expect(report.examined).to.equal(0);
    expect(deps.queue.enqueued).to.have.length(0);
  });
});
