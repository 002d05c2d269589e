import { expect } from 'chai';
import { FakeClock, makeTask, runCli, startFakeApi, type FakeApi } from './fakeApi';

/** NDJSON of tasks n1..nN with payload {n: i}. */
const ndjson = (count: number, extra: (i: number) => Record<string, unknown> = () => ({})): string =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ taskId: `n${i + 1}`, payload: { n: i + 1 }, ...extra(i + 1) })).join('\n');

const sentIds = (api: FakeApi) => api.batches.map((b) => b.tasks.map((t) => (t as { taskId: string }).taskId));

describe('tasks submit --file', () => {
  let clock: FakeClock;
  let api: FakeApi;
  const run = (args: string[], extra: { files?: Record<string, string>; stderrIsTTY?: boolean } = {}) =>
    runCli(args, { clock, api, ...extra });

  beforeEach(async () => {
    clock = new FakeClock();
    api = await startFakeApi(clock);
  });
  afterEach(() => api.close());

  it('submits every line through POST /tasks/batch and exits 0 when all are new or already there', async () => {
    api.tasks.set('n2', makeTask('n2', 'SUCCEEDED'));
    api.payloads.set('n2', { n: 2 });

    const res = await run(['submit', '--file', 'tasks.ndjson'], { files: { 'tasks.ndjson': `${ndjson(3)}\n` } });

    expect(res.code).to.equal(0);
    expect(res.stdout).to.equal('3 tasks: 2 new (202), 1 already there (200)\n');
    expect(res.stderr).to.equal(`[${'#'.repeat(30)}] 3/3 tasks, 1 request, 0.0s\n`);
    expect(api.batches[0].tasks).to.deep.equal([1, 2, 3].map((n) => ({ taskId: `n${n}`, payload: { n } })));
    expect(api.submits).to.deep.equal([]);
  });

  it('reads standard input with --file -', async () => {
    const res = await run(['submit', '--file', '-'], { files: { '-': ndjson(2) } });

    expect(res.code).to.equal(0);
    expect([...api.tasks.keys()]).to.deep.equal(['n1', 'n2']);
  });

  it('sends --batch-size tasks a request', async () => {
    const res = await run(['submit', '--file', 'f', '--batch-size', '2'], { files: { f: ndjson(5) } });

    expect(res.code).to.equal(0);
    expect(sentIds(api)).to.deep.equal([['n1', 'n2'], ['n3', 'n4'], ['n5']]);
  });

  it('splits by bytes too, so that no request passes the 240 KiB limit', async () => {
    const big = 'x'.repeat(100 * 1024);

    const res = await run(['submit', '--file', 'f'], { files: { f: ndjson(5, () => ({ payload: { big } })) } });

    expect(res.code).to.equal(0);
    expect(api.batches.map((b) => b.tasks.length)).to.deep.equal([2, 2, 1]);
    expect(Math.max(...api.batches.map((b) => b.bytes))).to.be.at.most(240 * 1024);
  });

  it('counts each result, lists the failed tasks by line and taskId, and exits 1', async () => {
    api.tasks.set('taken', makeTask('taken', 'QUEUED'));
    api.payloads.set('taken', { other: true });
    api.rejectedMessages.add('refused');
    const file = [
      '{"taskId":"ok","payload":{}}',
      '',
      '{"taskId":"nopayload"}',
      '{"taskId":"taken","payload":{}}',
      '{"taskId":"refused","payload":{}}',
      '{"taskId":"ok","payload":{}}',
    ].join('\r\n');

    const res = await run(['submit', '--file', 'f'], { files: { f: file } });

    expect(res.code).to.equal(1);
    expect(res.stdout.split('\n')).to.deep.equal([
      '5 tasks: 1 new (202), 2 invalid (400), 1 conflict (409), 1 rejected (422)',
      'Not accepted:',
      '  line 3 (nopayload): 400 VALIDATION_ERROR: invalid request: tasks[1].payload is required',
      "  line 4 (taken): 409 TASK_CONFLICT: task 'taken' already exists with a different payload",
      "  line 5 (refused): 422 MESSAGE_REJECTED: the queue refused the message of task 'refused'",
      '  line 6 (ok): 400 VALIDATION_ERROR: invalid request: tasks[4].taskId repeats the taskId of tasks[0]',
      '',
    ]);
  });

  it('shows the first 10 failures and says how many there are', async () => {
    const res = await run(['submit', '--file', 'f'], { files: { f: ndjson(12, () => ({ type: 'nope' })) } });

    const lines = res.stdout.split('\n');
    expect(res.code).to.equal(1);
    expect(lines[0]).to.equal('12 tasks: 12 invalid (400)');
    expect(lines[1]).to.equal('Not accepted (the first 10 of 12; --json lists all):');
    expect(lines.slice(2, -1)).to.have.length(10);
    expect(lines[11]).to.match(/^ {2}line 10 \(n10\): 400 VALIDATION_ERROR: /);
  });

  it('retries the tasks answered 503 after the Retry-After, and exits 0 once they are accepted', async () => {
    api.enqueueFailures.set('n2', 1);

    const res = await run(['submit', '--file', 'f'], { files: { f: ndjson(3) } });

    expect(res.code).to.equal(0);
    expect(sentIds(api)).to.deep.equal([['n1', 'n2', 'n3'], ['n2']]);
    expect(clock.sleeps).to.deep.equal([1000]);
    expect(res.stdout).to.equal('3 tasks: 2 new (202), 1 already there (200)\n');
    expect(res.stderr).to.match(/3\/3 tasks, 2 requests, 1 retried, 1\.0s\n$/);
  });

  it('exits 1 for tasks still 503 after five requests, naming them', async () => {
    api.enqueueFailures.set('n1', 99);

    const res = await run(['submit', '--file', 'f'], { files: { f: ndjson(2) } });

    expect(res.code).to.equal(1);
    expect(api.batches).to.have.length(5);
    expect(clock.sleeps).to.deep.equal([1000, 2000, 4000, 8000]);
    expect(res.stdout.split('\n').slice(0, 3)).to.deep.equal([
      '2 tasks: 1 new (202), 1 not enqueued (503)',
      'Not accepted:',
      "  line 1 (n1): 503 ENQUEUE_FAILED: task 'n1' was saved but its message could not be queued; submit it again",
    ]);
  });

  it('retries a whole request answered 503, waiting its Retry-After', async () => {
    api.override.set('POST /tasks/batch', {
      status: 503,
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } },
      headers: { 'retry-after': '3' },
      times: 1,
    });

    const res = await run(['submit', '--file', 'f'], { files: { f: ndjson(2) } });

    expect(res.code).to.equal(0);
    expect(clock.sleeps).to.deep.equal([3000]);
    expect(res.stdout).to.equal('2 tasks: 2 new (202)\n');
  });

  it('--json prints one result per line, in input order, with the line number', async () => {
    const res = await run(['submit', '--file', 'f', '--json'], { files: { f: `${ndjson(1)}\n\n{"taskId":"x"}\n` } });

    const results = res.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(res.code).to.equal(1);
    expect(results).to.have.length(2);
    expect(results[0]).to.deep.include({ line: 1, taskId: 'n1', statusCode: 202 });
    expect(results[0].task).to.include({ taskId: 'n1', status: 'QUEUED' });
    expect(results[1]).to.deep.include({ line: 3, taskId: 'x', statusCode: 400 });
    expect(results[1].error).to.deep.equal({
      code: 'VALIDATION_ERROR',
      message: 'invalid request: tasks[1].payload is required',
      details: [{ field: 'tasks[1].payload', problem: 'is required' }],
    });
  });

  it('redraws a progress bar in place when stderr is a terminal', async () => {
    const res = await run(['submit', '--file', 'f', '--batch-size', '1'], { files: { f: ndjson(2) }, stderrIsTTY: true });

    expect(res.stderr.split('\r').filter(Boolean)).to.deep.equal([
      `[${'#'.repeat(15)}${'-'.repeat(15)}] 1/2 tasks, 1 request, 0.0s`,
      `[${'#'.repeat(30)}] 2/2 tasks, 2 requests, 0.0s`,
      `[${'#'.repeat(30)}] 2/2 tasks, 2 requests, 0.0s\n`,
    ]);
  });

  it('exits 2 before sending anything when lines are not JSON objects, listing up to 10 of them', async () => {
    const bad = Array.from({ length: 12 }, () => 'oops');
    const res = await run(['submit', '--file', 'f'], { files: { f: ['{"taskId":"a","payload":{}}', '[]', ...bad].join('\n') } });

    expect(res.code).to.equal(2);
    expect(api.requests).to.deep.equal([]);
    const lines = res.stderr.split('\n');
    expect(lines[0]).to.equal('tasks: submit: f: 13 lines are not a JSON object; nothing was sent:');
    expect(lines[1]).to.equal('  line 2: not a JSON object: got array');
    expect(lines[2]).to.match(/^ {2}line 3: not JSON: /);
    expect(lines[11]).to.equal('  ... and 3 more');
    expect(lines[12]).to.equal("Run 'tasks submit --help' for usage.");
  });

  it('exits 2 for a file with no tasks, a missing file, and options that do not go together', async () => {
    const cases: [string[], RegExp][] = [
      [['submit', '--file', 'empty'], /^tasks: submit: empty holds no tasks/],
      [['submit', '--file', 'missing'], /^tasks: submit: cannot read missing: ENOENT/],
      [['submit', 'a', '--file', 'f'], /^tasks: submit: pass either a <taskId> or --file, not both/],
      [['submit', '--file', 'f', '--type', 'wordCount'], /^tasks: submit: --type goes with a <taskId>; with --file each line/],
      [['submit', '--file', 'f', '--batch-size', '101'], /^tasks: --batch-size must be an integer from 1 to 100, got '101'/],
      [['submit', 'a', '--batch-size', '5'], /^tasks: submit: --batch-size goes with --file/],
    ];
    for (const [args, message] of cases) {
      const res = await run(args, { files: { empty: '\n\r\n', f: ndjson(1) } });
      expect(res.code, args.join(' ')).to.equal(2);
      expect(res.stderr, args.join(' ')).to.match(message);
    }
    expect(api.requests).to.deep.equal([]);
  });

  it('exits 4 without a summary when the key is rejected', async () => {
    const res = await runCli(['submit', '--file', 'f'], {
      clock,
      env: { TASKS_API_URL: api.url, TASKS_API_KEY: 'wrong' },
      files: { f: ndjson(3) },
    });

    expect(res.code).to.equal(4);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.match(/^tasks: API key rejected/);
  });

  it('prints what was done when a rejected key stops the run part way, and exits 4', async () => {
    let first = true;
    api.onRequest = () => {
      if (!first) api.override.set('POST /tasks/batch', { status: 403, body: { message: 'Forbidden' } });
      first = false;
    };

    const res = await run(['submit', '--file', 'f', '--batch-size', '1'], { files: { f: ndjson(3) } });

    expect(res.code).to.equal(4);
    expect(res.stdout.split('\n').slice(0, 2)).to.deep.equal([
      '3 tasks: 1 new (202), 2 not sent',
      'Stopped early: 403 HTTP_403: Forbidden',
    ]);
    expect(res.stderr).to.match(/tasks: API key rejected/);
  });

  it('documents --file in the help of submit', async () => {
    const res = await run(['submit', '--help']);

    expect(res.stdout).to.include('tasks submit --file PATH [--batch-size N]');
    expect(res.stdout).to.include("(blank lines skipped; '-' reads stdin)");
  });
});
