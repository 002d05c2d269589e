import { expect } from 'chai';
import { resolveTarget } from '../../cli/main';
import type { TaskEvent } from '../../lib/domain/task';
import { API_KEY, FakeClock, closedPort, makeTask, runCli, startFakeApi, type FakeApi } from './fakeApi';

describe('cli commands against a fake API', () => {
  let clock: FakeClock;
  let api: FakeApi;
  const run = (args: string[], extra: { env?: Record<string, string | undefined>; files?: Record<string, string> } = {}) =>
    runCli(args, { clock, api, ...extra });

  beforeEach(async () => {
    clock = new FakeClock();
    api = await startFakeApi(clock);
  });
  afterEach(() => api.close());

  describe('status and history', () => {
    beforeEach(() => {
      api.tasks.set('t1', makeTask('t1', 'FAILED'));
    });

    it('prints the task as aligned label/value lines', async () => {
      const res = await run(['status', 't1']);

      expect(res.code).to.equal(0);
      expect(res.stdout).to.equal(
        [
          'taskId         t1',
          'type           simulated',
          'status         FAILED',
          'attempts       1/3',
          'lastError      SimulatedFailure: boom',
          'createdAt      2025-01-02T03:04:05.000Z',
          'updatedAt      2025-01-02T03:04:05.000Z',
          'correlationId  corr-t1',
          'history        4 events (last: FAILED at 2025-01-02T03:04:05.000Z)',
          '',
        ].join('\n'),
      );
      expect(api.requests[0]).to.include({ method: 'GET', path: '/tasks/t1', apiKey: API_KEY });
    });

    it('--json prints the task view as the API returned it', async () => {
      const res = await run(['status', 't1', '--json']);

      expect(res.code).to.equal(0);
      expect(JSON.parse(res.stdout)).to.deep.equal(api.tasks.get('t1'));
    });

    it('prints the history one line per event, and --json prints the history array', async () => {
      const res = await run(['history', 't1']);
      const json = await run(['--json', 'history', 't1']);

      expect(res.stdout.split('\n')).to.deep.equal([
        'Task t1: FAILED, attempt 1/3',
        'TIME                      EVENT            ATTEMPT  ERROR',
        '2025-01-02T03:04:05.000Z  QUEUED           0',
        '2025-01-02T03:04:05.000Z  PROCESSING       1',
        '2025-01-02T03:04:05.000Z  DEAD_LETTERED    1        SimulatedFailure: boom',
        '2025-01-02T03:04:05.000Z  FAILED           1        SimulatedFailure: boom',
        '',
      ]);
      expect(JSON.parse(json.stdout)).to.deep.equal(api.tasks.get('t1')!.history);
    });

    it("shows a SUCCEEDED task's result as pretty JSON under its label", async () => {
      api.tasks.set('s1', makeTask('s1', 'SUCCEEDED', { type: 'wordCount', result: { words: 2, top: ['a', 'b'] } }));

      const res = await run(['status', 's1']);

      expect(res.code).to.equal(0);
      expect(res.stdout.split('\n').slice(1)).to.deep.equal([
        'type           wordCount',
        'status         SUCCEEDED',
        'attempts       1/3',
        'lastError      -',
        'createdAt      2025-01-02T03:04:05.000Z',
        'updatedAt      2025-01-02T03:04:05.000Z',
        'correlationId  corr-s1',
        'history        3 events (last: SUCCEEDED at 2025-01-02T03:04:05.000Z)',
        'result         {',
        '                 "words": 2,',
        '                 "top": [',
        '                   "a",',
        '                   "b"',
        '                 ]',
        '               }',
        '',
      ]);
    });

    it('cuts a huge result after 20 lines or 2000 characters, saying so; --json prints all of it', async () => {
      const many = Array.from({ length: 500 }, (_, i) => i);
      const long = 'x'.repeat(60_000);
      api.tasks.set('big', makeTask('big', 'SUCCEEDED', { result: many }));
      api.tasks.set('wide', makeTask('wide', 'SUCCEEDED', { result: { long } }));

      const big = await run(['status', 'big']);
      const wide = await run(['status', 'wide']);
      const json = await run(['status', 'wide', '--json']);

      const bigResult = big.stdout.slice(big.stdout.indexOf('result')).split('\n');
      expect(bigResult.slice(0, 3)).to.deep.equal(['result         [', '                 0,', '                 1,']);
      expect(bigResult.slice(19, 22)).to.deep.equal([
        '                 18,',
        '               ... (105 of 3392 characters shown; --json prints the whole result)',
        '',
      ]);
      expect(wide.stdout.length).to.be.below(3000);
      expect(wide.stdout).to.include(
        `2000 of ${JSON.stringify({ long }, null, 2).length} characters shown; --json prints the whole result`,
      );
      expect(JSON.parse(json.stdout).result).to.deep.equal({ long });
    });

    it('marks permanent failures and a delayed start in the history', async () => {
      const at = '2025-01-02T03:04:05.000Z';
      const error = { name: 'WebhookRejected', message: 'the receiver answered 404' };
      api.tasks.set(
        'p1',
        makeTask('p1', 'FAILED', {
          type: 'webhook',
          history: [
            { type: 'QUEUED', at, attempt: 0, delaySeconds: 30 },
            { type: 'PROCESSING', at, attempt: 1 },
            { type: 'DEAD_LETTERED', at, attempt: 1, error, permanent: true },
            { type: 'FAILED', at, attempt: 1, error, permanent: true },
          ],
        }),
      );

      const res = await run(['history', 'p1']);

      expect(res.stdout.split('\n').slice(2, 6)).to.deep.equal([
        '2025-01-02T03:04:05.000Z  QUEUED           0        start delayed by 30s',
        '2025-01-02T03:04:05.000Z  PROCESSING       1',
        '2025-01-02T03:04:05.000Z  DEAD_LETTERED    1        WebhookRejected: the receiver answered 404; permanent: no retry',
        '2025-01-02T03:04:05.000Z  FAILED           1        WebhookRejected: the receiver answered 404; permanent: no retry',
      ]);
    });

    it('exits 3 for an unknown taskId, with the API message', async () => {
      const res = await run(['status', 'nope']);

      expect(res.code).to.equal(3);
      expect(res.stdout).to.equal('');
      expect(res.stderr).to.equal("tasks: not found (404): task 'nope' does not exist\n");
    });
  });

  describe('submit', () => {
    it('reports a new task (202), then the idempotent resubmission (200)', async () => {
      const first = await run(['submit', 'order-1', '--payload', '{"n":1}']);
      const again = await run(['submit', 'order-1', '--payload', '{"n":1}']);

      expect(first.code).to.equal(0);
      expect(first.stdout).to.match(
        /^Submitted simulated task order-1 \(202: new task\)\ntaskId {9}order-1\ntype {11}simulated\nstatus {9}QUEUED\n/,
      );
      expect(again.code).to.equal(0);
      expect(again.stdout).to.match(/^Task order-1 \(simulated\) was already submitted with this payload \(200: nothing changed\)\n/);
      expect(api.payloads.get('order-1')).to.deep.equal({ n: 1 });
    });

    it('sends {} without a payload option and reads --payload-file', async () => {
      await run(['submit', 'a']);
      const res = await run(['submit', 'b', '--payload-file', 'p.json', '--json'], { files: { 'p.json': '{"from":"file"}' } });

      expect(api.payloads.get('a')).to.deep.equal({});
      expect(api.payloads.get('b')).to.deep.equal({ from: 'file' });
      expect(JSON.parse(res.stdout)).to.include({ taskId: 'b', status: 'QUEUED' });
    });

    it('sends --type and --delay, and says when the delayed first attempt is due', async () => {
      const res = await run(['submit', 'd1', '--type', 'wordCount', '--delay', '30', '--payload', '{"text":"a b"}']);

      expect(res.code).to.equal(0);
      expect(api.submits).to.deep.equal([{ taskId: 'd1', payload: { text: 'a b' }, type: 'wordCount', delaySeconds: 30 }]);
      const lines = res.stdout.split('\n');
      expect(lines.slice(0, 2)).to.deep.equal([
        'Submitted wordCount task d1 (202: new task)',
        'Delayed start: the first attempt is due at 2025-01-02T03:04:35.000Z (in 30s)',
      ]);
      expect(lines).to.include.members(['type           wordCount', 'nextAttemptAt  2025-01-02T03:04:35.000Z']);
    });

    it('sends neither type nor delaySeconds unless asked, and --delay 0 as 0 with no due line', async () => {
      const plain = await run(['submit', 'p1']);
      const zero = await run(['submit', 'z1', '--delay', '0']);

      expect(api.submits).to.deep.equal([
        { taskId: 'p1', payload: {} },
        { taskId: 'z1', payload: {}, delaySeconds: 0 },
      ]);
      expect(plain.stdout).not.to.include('Delayed start');
      expect(zero.stdout.split('\n')[1]).to.equal('taskId         z1');
    });

    it('exits 2 before any request for a --delay that is not an integer from 0 to 900', async () => {
      const delays = [['--delay', '901'], ['--delay=-1'], ['--delay', '1.5'], ['--delay', 'soon']];
      const results = await Promise.all(delays.map((delay) => run(['submit', 'x', ...delay])));

      expect(results.map((r) => r.code)).to.deep.equal([2, 2, 2, 2]);
      expect(results[0].stderr).to.equal("tasks: --delay must be an integer from 0 to 900, got '901'\nRun 'tasks --help' for usage.\n");
      expect(results[1].stderr).to.include("got '-1'");
      expect(api.requests).to.have.length(0);
    });

    it('exits 2 for an unknown type, listing the known ones from the API', async () => {
      const res = await run(['submit', 'x', '--type', 'fax']);

      expect(res.code).to.equal(2);
      expect(res.stderr).to.equal(
        'tasks: invalid input (400 VALIDATION_ERROR): invalid request: type must be one of: simulated, webhook, wordCount\n' +
          '  - type: must be one of: simulated, webhook, wordCount\n',
      );
    });

    it('exits 1 on a 409 for the same payload with another type', async () => {
      await run(['submit', 'order-1', '--type', 'wordCount']);

      const res = await run(['submit', 'order-1']);

      expect(res.code).to.equal(1);
      expect(res.stderr).to.equal("tasks: conflict (409 TASK_CONFLICT): task 'order-1' already exists with type 'wordCount'\n");
    });

    it('exits 1 on a 409 for a different payload', async () => {
      await run(['submit', 'order-1', '--payload', '{"n":1}']);

      const res = await run(['submit', 'order-1', '--payload', '{"n":2}']);

      expect(res.code).to.equal(1);
      expect(res.stderr).to.equal("tasks: conflict (409 TASK_CONFLICT): task 'order-1' already exists with a different payload\n");
    });

    it("exits 2 with the API's message and details when the API rejects the input", async () => {
      const res = await run(['submit', 'bad id!']);

      expect(res.code).to.equal(2);
      expect(res.stderr).to.equal(
        'tasks: invalid input (400 VALIDATION_ERROR): invalid request: taskId may contain only letters, digits and - _ . :\n' +
          '  - taskId: may contain only letters, digits and - _ . :\n',
      );
    });

    it('exits 2 without calling the API for a payload that is not JSON or a missing file', async () => {
      const bad = await run(['submit', 'x', '--payload', '{nope']);
      const missing = await run(['submit', 'x', '--payload-file', 'missing.json']);
      const both = await run(['submit', 'x', '--payload', '{}', '--payload-file', 'p.json']);

      expect([bad.code, missing.code, both.code]).to.deep.equal([2, 2, 2]);
      expect(bad.stderr).to.match(/^tasks: submit: --payload is not valid JSON: /);
      expect(missing.stderr).to.match(/^tasks: submit: cannot read --payload-file missing.json: ENOENT/);
      expect(both.stderr).to.match(/either --payload or --payload-file/);
      expect(api.requests).to.have.length(0);
    });
  });

  describe('list', () => {
    beforeEach(() => {
      for (const [i, [id, type]] of [
        ['f1', 'wordCount'],
        ['f2', 'webhook'],
        ['f3', 'simulated'],
      ].entries()) {
        const updatedAt = new Date(Date.parse('2025-01-02T03:04:05.000Z') + i * 1000).toISOString();
        api.tasks.set(id, makeTask(id, 'FAILED', { type, updatedAt }));
      }
      api.tasks.set('long-task-id-q', makeTask('long-task-id-q', 'QUEUED'));
    });

    it('lists CANCELLED tasks (the status is known to the CLI, in any case)', async () => {
      api.tasks.set('c1', makeTask('c1', 'CANCELLED', { type: 'webhook' }));

      const res = await run(['list', '--status', 'cancelled']);

      expect(res.code, res.stderr).to.equal(0);
      expect(api.requests[0].query.get('status')).to.equal('CANCELLED');
      expect(res.stdout.split('\n')).to.deep.equal([
        'TASK ID  TYPE     STATUS     ATTEMPTS  UPDATED                   LAST ERROR',
        'c1       webhook  CANCELLED  0/3       2025-01-02T03:04:05.000Z  -',
        '',
      ]);
    });

    it('prints an aligned table newest first, and the next-page hint on stderr', async () => {
      const res = await run(['list', '--status', 'failed', '--limit', '2']);

      expect(res.code).to.equal(0);
      expect(res.stdout.split('\n')).to.deep.equal([
        'TASK ID  TYPE       STATUS  ATTEMPTS  UPDATED                   LAST ERROR',
        'f3       simulated  FAILED  1/3       2025-01-02T03:04:07.000Z  SimulatedFailure: boom',
        'f2       webhook    FAILED  1/3       2025-01-02T03:04:06.000Z  SimulatedFailure: boom',
        '',
      ]);
      expect(res.stderr).to.equal('More tasks: tasks list --status FAILED --limit 2 --cursor 2 (or --all)\n');
      expect(api.requests[0].query.toString()).to.equal('status=FAILED&limit=2');
    });

    it('--all follows cursors to the last page; --json prints the page', async () => {
      api.maxPage = 1;

      const all = await run(['list', '--status', 'FAILED', '--all', '--json']);

      expect(api.requests.map((r) => r.query.get('cursor'))).to.deep.equal([null, '1', '2']);
      const page = JSON.parse(all.stdout);
      expect(page.cursor).to.equal(null);
      expect(page.tasks.map((t: { taskId: string }) => t.taskId)).to.deep.equal(['f3', 'f2', 'f1']);
    });

    it('says so when no task is in the status', async () => {
      expect((await run(['list', '--status', 'PROCESSING'])).stdout).to.equal('No PROCESSING tasks.\n');
    });

    it('exits 2 for a missing or unknown status and a bad limit, before calling the API', async () => {
      const results = await Promise.all([
        run(['list']),
        run(['list', '--status', 'DONE']),
        run(['list', '--status', 'FAILED', '--limit', '0']),
      ]);

      expect(results.map((r) => r.code)).to.deep.equal([2, 2, 2]);
      expect(results[1].stderr).to.include(
        "--status must be one of QUEUED, PROCESSING, RETRY_SCHEDULED, SUCCEEDED, DEAD_LETTERED, FAILED, CANCELLED, got 'DONE'",
      );
      expect(results[2].stderr).to.include("--limit must be an integer from 1 to 100, got '0'");
      expect(api.requests).to.have.length(0);
    });
  });

  describe('target, key and connection errors', () => {
    beforeEach(() => {
      api.tasks.set('t1', makeTask('t1', 'QUEUED'));
    });

    it('exits 4 when the key is rejected, and says how to pass one', async () => {
      const res = await run(['status', 't1'], { env: { TASKS_API_URL: api.url, TASKS_API_KEY: 'wrong' } });

      expect(res.code).to.equal(4);
      expect(res.stderr).to.equal(`tasks: API key rejected by ${api.url} (403): pass --api-key or set TASKS_API_KEY\n`);
    });

    it('exits 4 when no key is configured', async () => {
      const res = await run(['status', 't1'], { env: { TASKS_API_URL: api.url } });

      expect(res.code).to.equal(4);
      expect(res.stderr).to.match(/^tasks: no API key, and .* requires one \(403\): pass --api-key or set TASKS_API_KEY \(LOCAL_API_KEY/);
    });

    it('exits 5 with a hint to start the stack when nothing listens', async () => {
      const port = await closedPort();

      const res = await run(['status', 't1'], { env: { LOCAL_HTTP_PORT: String(port), LOCAL_API_KEY: API_KEY } });

      expect(res.code).to.equal(5);
      expect(res.stderr).to.equal(
        `tasks: cannot reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED): is \`npm start\` running? set --url (or TASKS_API_URL) for a deployed stage\n`,
      );
    });

    it('exits 5 when the URL answers but is not this API (wrong stage path)', async () => {
      const res = await run(['status', 't1', '--url', `${api.url}/dev`, '--api-key', API_KEY]);

      expect(res.code).to.equal(5);
      expect(res.stderr).to.include(`GET ${api.url}/dev/tasks/t1 answered 404`);
      expect(res.stderr).to.include('does not look like the tasks API; check --url');
    });

    it('lets --url and --api-key win over TASKS_API_URL and TASKS_API_KEY', async () => {
      const port = await closedPort();

      const res = await run(['status', 't1', '--url', api.url, '--api-key', API_KEY], {
        env: { TASKS_API_URL: `http://127.0.0.1:${port}`, TASKS_API_KEY: 'wrong' },
      });

      expect(res.code).to.equal(0);
    });

    it('uses LOCAL_API_KEY for a local URL only, after TASKS_API_KEY', async () => {
      expect(await resolveTarget({}, { LOCAL_API_KEY: 'local' })).to.deep.include({ apiKey: 'local', isDefault: true });
      expect((await resolveTarget({}, { LOCAL_API_KEY: 'local' })).url.href).to.equal('http://127.0.0.1:3000/');
      expect((await resolveTarget({}, { LOCAL_API_KEY: 'local', TASKS_API_KEY: 'remote' })).apiKey).to.equal('remote');
      expect(
        (await resolveTarget({ url: 'https://abc.execute-api.eu-west-1.amazonaws.com/dev' }, { LOCAL_API_KEY: 'local' })).apiKey,
      ).to.equal(undefined);
      const refused = await resolveTarget({ url: 'ftp://x' }, {}).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused?.message).to.contain('--url must be an http(s) URL');
    });
  });

  describe('usage', () => {
    it('--help prints the commands, the target options and the exit codes', async () => {
      const res = await run(['--help']);

      expect(res.code).to.equal(0);
      for (const text of [
        'tasks redrive --all [--rate N] [--dry-run]',
        'tasks cancel <taskId>',
        'tasks submit <taskId> [--type NAME] [--delay SECONDS] [--payload JSON | --payload-file PATH]',
        '--all is about FAILED tasks only',
        '1  failure: watch saw FAILED or CANCELLED',
        'Statuses: QUEUED PROCESSING RETRY_SCHEDULED SUCCEEDED DEAD_LETTERED FAILED CANCELLED',
        'TASKS_API_URL',
        'LOCAL_API_KEY',
        '3  task not found (404)',
        '5  cannot reach the API',
      ]) {
        expect(res.stdout).to.include(text);
      }
    });

    it('prints one command\'s help with "<command> --help" and "help <command>"', async () => {
      const a = await run(['watch', '--help']);
      const b = await run(['help', 'watch']);

      expect(a.code).to.equal(0);
      expect(a.stdout).to.equal(b.stdout);
      expect(a.stdout).to.match(/^Usage:\n {2}tasks watch <taskId> \[--interval MS\] \[--timeout S\]/);
    });

    const usageErrors: [string, string[], RegExp][] = [
      ['no command', [], /^tasks: operate the task pipeline/],
      ['an unknown command', ['frobnicate'], /^tasks: unknown command 'frobnicate'/],
      ['an unknown option', ['status', 't1', '--bogus'], /^tasks: Unknown option '--bogus'/],
      [
        "another command's option",
        ['status', 't1', '--rate', '3'],
        /^tasks: status: unknown option --rate\nRun 'tasks status --help' for usage\.\n$/,
      ],
      ['a missing taskId', ['history'], /^tasks: history: missing <taskId>/],
      ['cancel without a taskId', ['cancel'], /^tasks: cancel: missing <taskId>\nRun 'tasks cancel --help' for usage\.\n$/],
      ['cancel with an option of submit', ['cancel', 'c1', '--delay', '5'], /^tasks: cancel: unknown option --delay/],
      ['two taskIds', ['status', 'a', 'b'], /expected one <taskId>, got 2 arguments/],
      ['redrive with a taskId and --all', ['redrive', 'a', '--all'], /either a <taskId> or --all/],
      ['--rate without --all', ['redrive', 'a', '--rate', '2'], /--rate and --dry-run go with --all/],
      ['a bad rate', ['redrive', '--all', '--rate', 'fast'], /--rate must be a positive number/],
      ['a bad interval', ['watch', 't1', '--interval', '0'], /--interval must be an integer of at least 1/],
    ];
    for (const [name, args, message] of usageErrors) {
      it(`exits 2 for ${name}`, async () => {
        const res = await run(args);

        expect(res.code).to.equal(2);
        expect(res.stderr).to.match(message);
        expect(api.requests).to.have.length(0);
      });
    }
  });

  describe('watch', () => {
    /** Appends the next scripted change each time watch sleeps between polls. */
    function script(taskId: string, steps: ((task: ReturnType<typeof makeTask>) => void)[]): void {
      clock.onSleep = () => {
        const step = steps.shift();
        if (step) step(api.tasks.get(taskId)!);
      };
    }
    const event =
      (type: TaskEvent['type'], attempt: number, extra: Partial<TaskEvent> = {}) =>
      (task: ReturnType<typeof makeTask>) => {
        const at = clock.iso();
        task.history.push({ type, at, attempt, ...extra });
        if (type !== 'REDRIVEN') task.status = type as typeof task.status;
        task.attempts = attempt;
        task.updatedAt = at;
        if (extra.error) task.lastError = extra.error;
      };
    const boom = { name: 'SimulatedFailure', message: 'boom' };

    it('prints each event once, as soon as the poll that reveals it, and exits 0 on SUCCEEDED', async () => {
      api.tasks.set('w1', makeTask('w1', 'QUEUED'));
      script('w1', [
        event('PROCESSING', 1),
        () => undefined,
        event('RETRY_SCHEDULED', 1, { error: boom, delaySeconds: 2 }),
        (t) => {
          event('PROCESSING', 2)(t);
          event('SUCCEEDED', 2)(t);
        },
      ]);

      const res = await run(['watch', 'w1', '--interval', '500']);

      expect(res.code).to.equal(0);
      expect(res.writes.map((w) => [w.requests, w.text])).to.deep.equal([
        [1, '2025-01-02T03:04:05.000Z  QUEUED           0\n'],
        [2, '2025-01-02T03:04:05.500Z  PROCESSING       1\n'],
        [4, '2025-01-02T03:04:06.500Z  RETRY_SCHEDULED  1        SimulatedFailure: boom; next attempt in 2s\n'],
        [5, '2025-01-02T03:04:07.000Z  PROCESSING       2\n'],
        [5, '2025-01-02T03:04:07.000Z  SUCCEEDED        2\n'],
        [5, 'Task w1 SUCCEEDED (attempt 2/3)\n'],
      ]);
      expect(clock.sleeps).to.deep.equal([500, 500, 500, 500]);
    });

    it('exits 1 on FAILED, printing the last error; --json prints one event per line', async () => {
      api.tasks.set('w2', makeTask('w2', 'QUEUED'));
      const steps = () => [event('PROCESSING', 1), event('DEAD_LETTERED', 1, { error: boom }), event('FAILED', 1, { error: boom })];
      script('w2', steps());

      const res = await run(['watch', 'w2', '--interval', '10']);

      expect(res.code).to.equal(1);
      expect(res.stdout.trimEnd().split('\n').at(-1)).to.equal('Task w2 FAILED after 1/3 attempts: SimulatedFailure: boom');

      api.tasks.set('w2', makeTask('w2', 'QUEUED'));
      script('w2', steps());
      const json = await run(['watch', 'w2', '--interval', '10', '--json']);

      expect(json.code).to.equal(1);
      expect(
        json.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l).type),
      ).to.deep.equal(['QUEUED', 'PROCESSING', 'DEAD_LETTERED', 'FAILED']);
    });

    it('ends on CANCELLED with exit 1: finished, but the work was not done', async () => {
      api.tasks.set('w5', makeTask('w5', 'QUEUED'));
      script('w5', [() => undefined, event('CANCELLED', 0)]);

      const res = await run(['watch', 'w5', '--interval', '10', '--timeout', '1']);

      expect(res.code).to.equal(1);
      expect(res.stdout.split('\n')).to.deep.equal([
        '2025-01-02T03:04:05.000Z  QUEUED           0',
        '2025-01-02T03:04:05.020Z  CANCELLED        0',
        'Task w5 CANCELLED after 0/3 attempts',
        '',
      ]);
      expect(api.requests).to.have.length(3);
    });

    it('exits 2 when --timeout passes before a terminal status', async () => {
      api.tasks.set('w3', makeTask('w3', 'QUEUED'));

      const res = await run(['watch', 'w3', '--interval', '1000', '--timeout', '3']);

      expect(res.code).to.equal(2);
      expect(api.requests).to.have.length(4);
      expect(res.stderr).to.equal('watch: timed out after 3s; task w3 is QUEUED\n');
    });

    it('keeps polling through a 5xx, and exits 3 for an unknown task', async () => {
      api.tasks.set('w4', makeTask('w4', 'QUEUED'));
      api.override.set('GET /tasks/w4', {
        status: 503,
        body: { error: { code: 'INTERNAL_ERROR', message: 'internal error; retry the request', details: {} } },
      });
      script('w4', [() => api.override.clear(), event('SUCCEEDED', 1)]);

      const res = await run(['watch', 'w4', '--interval', '10']);
      const missing = await run(['watch', 'nope']);

      expect(res.code).to.equal(0);
      expect(res.stderr).to.equal('watch: 503 INTERNAL_ERROR: internal error; retry the request; retrying\n');
      expect(missing.code).to.equal(3);
    });
  });

  describe('cancel', () => {
    it('cancels a QUEUED or RETRY_SCHEDULED task (exit 0) and prints it', async () => {
      api.tasks.set('q1', makeTask('q1', 'QUEUED', { type: 'webhook' }));
      api.tasks.set('r1', makeTask('r1', 'RETRY_SCHEDULED', { nextAttemptAt: clock.iso(10_000) }));
      api.tasks.get('r1')!.history.push({ type: 'RETRY_SCHEDULED', at: clock.iso(), attempt: 1, delaySeconds: 10 });
      clock.t += 1000;

      const queued = await run(['cancel', 'q1']);
      const retrying = await run(['cancel', 'r1']);

      expect(queued.code).to.equal(0);
      expect(api.requests[0]).to.include({ method: 'POST', path: '/tasks/q1/cancel', apiKey: API_KEY });
      expect(queued.stdout.split('\n').slice(0, 4)).to.deep.equal([
        'Cancelled task q1 (was QUEUED) at 2025-01-02T03:04:06.000Z; no further attempt will run (redrive starts it over)',
        'taskId         q1',
        'type           webhook',
        'status         CANCELLED',
      ]);
      expect(retrying.code).to.equal(0);
      expect(retrying.stdout).to.match(/^Cancelled task r1 \(was RETRY_SCHEDULED\) at /);
      expect(retrying.stdout).not.to.include('nextAttemptAt');
      expect(api.tasks.get('r1')!.status).to.equal('CANCELLED');
    });

    it('shows a CANCELLED task as it is (exit 0), and --json prints the task', async () => {
      api.tasks.set('c1', makeTask('c1', 'CANCELLED'));
      const before = structuredClone(api.tasks.get('c1'));

      const res = await run(['cancel', 'c1']);
      const json = await run(['cancel', 'c1', '--json']);

      expect(res.code).to.equal(0);
      expect(res.stdout).to.match(/^Cancelled task c1 \(was QUEUED\) at 2025-01-02T03:04:05.000Z;/);
      expect(JSON.parse(json.stdout)).to.deep.equal(before);
      expect(api.tasks.get('c1')).to.deep.equal(before);
    });

    it("exits 1 with the API's reason for a running or finished task, 3 for an unknown one", async () => {
      api.tasks.set('p1', makeTask('p1', 'PROCESSING'));
      api.tasks.set('s1', makeTask('s1', 'SUCCEEDED'));

      const running = await run(['cancel', 'p1']);
      const finished = await run(['cancel', 's1']);
      const missing = await run(['cancel', 'nope']);

      expect(running.code).to.equal(1);
      expect(running.stdout).to.equal('');
      expect(running.stderr).to.equal(
        "tasks: conflict (409 TASK_STATE_CONFLICT): task 'p1' is PROCESSING: an attempt is running; cancel applies to a task waiting in the queue (QUEUED or RETRY_SCHEDULED)\n",
      );
      expect(finished.code).to.equal(1);
      expect(finished.stderr).to.equal(
        "tasks: conflict (409 TASK_STATE_CONFLICT): task 's1' is SUCCEEDED: it has finished; only a QUEUED or RETRY_SCHEDULED task can be cancelled\n",
      );
      expect(missing.code).to.equal(3);
      expect(missing.stderr).to.equal("tasks: not found (404): task 'nope' does not exist\n");
    });
  });

  describe('redrive', () => {
    it('redrives a CANCELLED task by name, saying where it came from', async () => {
      api.tasks.set('c1', makeTask('c1', 'CANCELLED'));

      const res = await run(['redrive', 'c1']);

      expect(res.code).to.equal(0);
      expect(res.stdout).to.match(/^Redrove task c1: CANCELLED -> QUEUED with a fresh attempt budget \(0\/3\)\n/);
      expect(api.tasks.get('c1')!.status).to.equal('QUEUED');
    });

    it('redrives one FAILED task (exit 0), exits 1 when it is not FAILED and 3 when unknown', async () => {
      api.tasks.set('f1', makeTask('f1', 'FAILED'));
      api.tasks.set('q1', makeTask('q1', 'QUEUED'));

      const ok = await run(['redrive', 'f1']);
      const conflict = await run(['redrive', 'q1']);
      const missing = await run(['redrive', 'nope']);

      expect(ok.code).to.equal(0);
      expect(ok.stdout).to.match(/^Redrove task f1: FAILED -> QUEUED with a fresh attempt budget \(0\/3\)\n/);
      expect(api.tasks.get('f1')!.history.at(-1)!.type).to.equal('REDRIVEN');
      expect(conflict.code).to.equal(1);
      expect(conflict.stderr).to.equal(
        "tasks: conflict (409 TASK_STATE_CONFLICT): task 'q1' is QUEUED: only a FAILED or CANCELLED task can be redriven\n",
      );
      expect(missing.code).to.equal(3);
    });

    describe('--all', () => {
      const ids = ['f1', 'f2', 'f3', 'f4', 'f5'];
      beforeEach(() => {
        for (const [i, id] of ids.entries()) {
          api.tasks.set(
            id,
            makeTask(id, 'FAILED', { updatedAt: new Date(Date.parse('2025-01-01T00:00:00.000Z') - i * 1000).toISOString() }),
          );
        }
        api.tasks.set('q1', makeTask('q1', 'QUEUED'));
        api.tasks.set('c1', makeTask('c1', 'CANCELLED'));
        api.maxPage = 2;
      });
      const redriveRequests = () => api.requests.filter((r) => r.method === 'POST');

      it('collects every FAILED task across pages, then starts redrives 1000/rate ms apart', async () => {
        const res = await run(['redrive', '--all', '--rate', '5']);

        expect(res.code).to.equal(0);
        const listings = api.requests.filter((r) => r.method === 'GET');
        expect(listings.map((r) => [r.query.get('status'), r.query.get('cursor')])).to.deep.equal([
          ['FAILED', null],
          ['FAILED', '2'],
          ['FAILED', '4'],
        ]);
        expect(redriveRequests().map((r) => r.path)).to.deep.equal(ids.map((id) => `/tasks/${id}/redrive`));
        const starts = redriveRequests().map((r) => r.at - redriveRequests()[0].at);
        expect(starts).to.deep.equal([0, 200, 400, 600, 800]);
        expect([...api.tasks.values()].filter((t) => t.status === 'FAILED')).to.have.length(0);
        expect(api.tasks.get('c1')!.status).to.equal('CANCELLED');
      });

      it('defaults to 5 per second and only waits for what a request did not already take', async () => {
        api.onRequest = (r) => {
          if (r.method === 'POST') clock.t += r.path.includes('f2') ? 450 : 50;
        };

        await run(['redrive', '--all']);

        const starts = redriveRequests().map((r) => r.at - redriveRequests()[0].at);
        // f1 takes 50 ms (wait 150), f2 takes 450 ms (no wait, no catch-up burst after it).
        expect(starts).to.deep.equal([0, 200, 650, 850, 1050]);
        expect(clock.sleeps).to.deep.equal([150, 150, 150]);
      });

      it('reports redriven, skipped 409s and errors with their taskIds, and exits 1 on errors', async () => {
        api.onRequest = (r) => {
          // Another operator redrives f3 while the run is under way.
          if (r.path === '/tasks/f1/redrive') api.tasks.get('f3')!.status = 'QUEUED';
        };
        api.override.set('POST /tasks/f4/redrive', {
          status: 503,
          body: { error: { code: 'ENQUEUE_FAILED', message: "task 'f4' could not be enqueued", details: {} } },
        });

        const res = await run(['redrive', '--all', '--rate', '50']);

        expect(res.code).to.equal(1);
        expect(res.stdout).to.equal(
          [
            'Redrive of FAILED tasks at 50/s: 5 found',
            '  redriven  3',
            '  skipped   1  (409: no longer FAILED)',
            '  errors    1',
            '',
            'TASK ID  RESULT    DETAIL',
            'f1       redriven',
            'f2       redriven',
            'f5       redriven',
            "f3       skipped   task 'f3' is QUEUED: only a FAILED or CANCELLED task can be redriven",
            "f4       error     503 ENQUEUE_FAILED: task 'f4' could not be enqueued",
            '',
          ].join('\n'),
        );
        expect(res.stderr.split('\n')[0]).to.equal('redriven f1 (1/5)');

        const json = await run(['redrive', '--all', '--json']);
        expect(JSON.parse(json.stdout)).to.deep.equal({
          dryRun: false,
          found: 1,
          rate: 5,
          redriven: [],
          skipped: [],
          errors: [{ taskId: 'f4', status: 503, code: 'ENQUEUE_FAILED', message: "task 'f4' could not be enqueued" }],
        });
      });

      it('--dry-run lists what would be redriven and changes nothing', async () => {
        const res = await run(['redrive', '--all', '--dry-run']);
        const json = await run(['redrive', '--all', '--dry-run', '--json']);

        expect(res.code).to.equal(0);
        expect(res.stdout).to.equal('Dry run: 5 FAILED tasks would be redriven at 5/s; nothing was changed.\nf1\nf2\nf3\nf4\nf5\n');
        expect(JSON.parse(json.stdout)).to.deep.equal({ dryRun: true, found: 5, rate: 5, taskIds: ids });
        expect(redriveRequests()).to.have.length(0);
      });

      it('stops at a 403, prints how far it got and exits 4', async () => {
        api.onRequest = (r) => {
          if (r.path === '/tasks/f2/redrive') api.override.set('POST /tasks/f2/redrive', { status: 403, body: { message: 'Forbidden' } });
        };

        const res = await run(['redrive', '--all']);

        expect(res.code).to.equal(4);
        expect(redriveRequests()).to.have.length(2);
        expect(res.stdout).to.match(/^Redrive of FAILED tasks at 5\/s: 5 found, 1 attempted before stopping\n {2}redriven {2}1\n/);
        expect(res.stderr).to.include('API key rejected');
      });
    });
  });
});
