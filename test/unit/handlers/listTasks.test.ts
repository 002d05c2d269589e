import { expect } from 'chai';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../../../handlers/listTasks';
import { getTaskEvent, taskState } from '../../helpers/factories';
import { testDeps, type TestDeps } from '../../helpers/fakes';

describe('GET /tasks?status= (listTasks handler)', () => {
  let deps: TestDeps;
  const call = async (query: Record<string, string> | null) => {
    const event: APIGatewayProxyEvent = { ...getTaskEvent('x'), path: '/tasks', pathParameters: null, queryStringParameters: query };
    const result = await createHandler(() => deps)(event);
    return { ...result, json: JSON.parse(result.body) };
  };

  beforeEach(() => {
    deps = testDeps();
    for (let i = 1; i <= 5; i++) {
      deps.store.tasks.set(
        `f${i}`,
        taskState({ taskId: `f${i}`, status: 'FAILED', attempts: 3, updatedAt: `2026-01-01T00:00:0${i}.000Z` }),
      );
    }
    deps.store.tasks.set('ok', taskState({ taskId: 'ok', status: 'SUCCEEDED' }));
  });

  it('lists the tasks in a status newest first, page by page with the cursor', async () => {
    const first = await call({ status: 'FAILED', limit: '3' });
    const second = await call({ status: 'FAILED', limit: '3', cursor: first.json.cursor });

    expect(first.statusCode).to.equal(200);
    expect(first.json.tasks.map((t: { taskId: string }) => t.taskId)).to.deep.equal(['f5', 'f4', 'f3']);
    expect(second.json.tasks.map((t: { taskId: string }) => t.taskId)).to.deep.equal(['f2', 'f1']);
    expect(second.json.cursor).to.equal(null);
    expect(first.json.tasks[0]).not.to.have.property('history');
  });

  it('answers 400 naming the parameter for a missing or unknown status', async () => {
    const missing = await call(null);
    const unknown = await call({ status: 'DONE' });

    expect(missing.statusCode).to.equal(400);
    expect(missing.json.error.details[0]).to.include({ field: 'status' });
    expect(unknown.statusCode).to.equal(400);
    expect(unknown.json.error.details[0].problem).to.contain('QUEUED');
  });

  it('answers 400 for a limit outside 1-100', async () => {
    for (const limit of ['0', '101', 'abc', '2.5']) {
      const res = await call({ status: 'FAILED', limit });
      expect(res.statusCode, limit).to.equal(400);
      expect(res.json.error.details[0].field).to.equal('limit');
    }
  });

  it('answers 400 naming status for SUCCEEDED when the stage does not index SUCCEEDED tasks, and still lists FAILED', async () => {
    const tasks = deps.store.tasks;
    deps = testDeps({ config: { indexSucceeded: false } });
    for (const [id, task] of tasks) deps.store.tasks.set(id, task);

    const succeeded = await call({ status: 'SUCCEEDED' });
    const failed = await call({ status: 'FAILED', limit: '2' });

    expect(succeeded.statusCode).to.equal(400);
    expect(succeeded.json.error).to.deep.include({
      code: 'VALIDATION_ERROR',
      details: [{ field: 'status', problem: 'SUCCEEDED is not listed on this stage (its tasks are not indexed)' }],
    });
    expect(failed.json.tasks.map((t: { taskId: string }) => t.taskId)).to.deep.equal(['f5', 'f4']);
  });

  it('leaves out a finished task past its retention that TTL has not deleted yet, and still fills the page', async () => {
    // 30 days of retention: f5 finished 31 days before now, f4 a day before.
    deps = testDeps({ now: '2026-02-01T00:00:00.000Z' });
    const finished = (id: string, at: string) => taskState({ taskId: id, status: 'FAILED', attempts: 3, updatedAt: at });
    deps.store.tasks.set('f5', finished('f5', '2026-01-01T00:00:00.000Z'));
    deps.store.tasks.set('f4', finished('f4', '2026-01-31T00:00:00.000Z'));
    deps.store.tasks.set('f3', finished('f3', '2026-01-30T00:00:00.000Z'));

    const page = await call({ status: 'FAILED', limit: '2' });

    expect(page.json.tasks.map((t: { taskId: string }) => t.taskId)).to.deep.equal(['f4', 'f3']);
    expect(page.json.cursor).to.equal(null);
  });
});
