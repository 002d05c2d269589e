import { expect } from 'chai';
import { TasksClient } from '../../../cli/client';
import { parseDemoOptions as parseOptions, submitDemoTasks as submitTasks, type DemoApi, type SubmitAnswer } from '../../../devstack';
import { UsageError } from '../../../tools/args';
import { API_KEY, FakeClock, startFakeApi, type FakeApi } from '../../cli/fakeApi';

describe('npm run demo', () => {
  const env = { LOCAL_API_KEY: 'k' };

  describe('--batch', () => {
    it('takes a batch size from 1 to 100, and submits one POST each without it', () => {
      expect(parseOptions(['--batch', '100'], env, undefined).batch).to.equal(100);
      expect(parseOptions(['--batch', '1', '--tasks', '5'], env, undefined)).to.include({ batch: 1, tasks: 5 });
      expect(parseOptions([], env, undefined)).not.to.have.property('batch');
    });

    it('refuses a batch size outside 1-100, naming the option', () => {
      for (const bad of ['0', '101', 'ten']) {
        expect(() => parseOptions(['--batch', bad], env, undefined), bad)
          .to.throw(UsageError)
          .with.property('message', `--batch must be an integer from 1 to 100, got '${bad}'`);
      }
    });
  });

  describe('submitTasks against the fake API', () => {
    let clock: FakeClock;
    let fake: FakeApi;
    let api: DemoApi;
    const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ taskId: `demo-${i + 1}`, payload: { demo: 'r1' } }));

    beforeEach(async () => {
      clock = new FakeClock();
      fake = await startFakeApi(clock);
      api = {
        post: async (task) => {
          const response = await fetch(`${fake.url}/tasks`, {
            method: 'POST',
            headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
            body: JSON.stringify(task),
          });
          return { status: response.status, body: await response.json() };
        },
        client: new TasksClient({ baseUrl: fake.url, apiKey: API_KEY }),
        clock,
      };
    });
    afterEach(() => fake.close());

    it('with --batch N sends POST /tasks/batch of N tasks and no single POST, answering every task', async () => {
      const answers: SubmitAnswer[] = [];

      await submitTasks(tasks(5), { concurrency: 2, batch: 2, baseUrl: fake.url }, api, (a) => answers.push(a));

      expect(fake.batches.map((b) => b.tasks.length)).to.deep.equal([2, 2, 1]);
      expect(fake.submits).to.deep.equal([]);
      expect(answers.map((a) => ('task' in a ? a.task.status : a.rejected))).to.deep.equal(Array(5).fill('QUEUED'));
      expect(answers.map((a) => a.taskId)).to.deep.equal(tasks(5).map((t) => t.taskId));
    });

    it('with --batch reports a task the API did not accept as rejected', async () => {
      const answers: SubmitAnswer[] = [];

      await submitTasks(
        [...tasks(1), { taskId: 'demo-x', payload: {}, type: 'nope' }],
        { concurrency: 1, batch: 10, baseUrl: fake.url },
        api,
        (a) => answers.push(a),
      );

      expect(answers[1])
        .to.have.property('rejected')
        .that.matches(/^demo-x: HTTP 400 .*VALIDATION_ERROR/);
    });

    it('without --batch sends one POST /tasks per task', async () => {
      const answers: SubmitAnswer[] = [];

      await submitTasks(tasks(3), { concurrency: 2, baseUrl: fake.url }, api, (a) => answers.push(a));

      expect(fake.batches).to.deep.equal([]);
      expect(fake.submits).to.have.length(3);
      expect(answers.filter((a) => 'task' in a)).to.have.length(3);
    });
  });
});
