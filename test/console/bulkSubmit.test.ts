import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import { AuthError, ConnectionError, ConsoleClient } from '../../console/src/api';
import {
  chunk,
  isRetryable,
  parseNdjson,
  rowCells,
  submitLines,
  summarize,
  type BulkLine,
  type BulkRow,
} from '../../console/src/bulkSubmit';
import { makeTask } from '../cli/fakeApi';

const XSS = '<img src=x onerror=alert(1)>';

interface BatchCall {
  url: string;
  headers: Record<string, string>;
  tasks: Record<string, unknown>[];
  bytes: number;
}

/**
 * POST /tasks/batch as the contract has it, in memory: at most 100 tasks and `maxBodyBytes` a request
 * (else a whole-request 400 or 413), then per task 202 new, 200 same again, 400 without a payload,
 * 503 for a taskId in `unavailable`. `answer` may replace a call's answer.
 */
function fakeBatchApi(options: { maxBodyBytes?: number; unavailable?: string[]; answer?: (call: number) => Response | undefined } = {}) {
  const calls: BatchCall[] = [];
  const stored = new Map<string, unknown>();
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const error = (code: string, details: unknown[] = []) => ({ code, message: `${code} (fake)`, details });
  const fetch = (async (url: string, init: RequestInit) => {
    const text = String(init.body);
    const { tasks } = JSON.parse(text) as { tasks: Record<string, unknown>[] };
    calls.push({ url, headers: init.headers as Record<string, string>, tasks, bytes: Buffer.byteLength(text) });
    const canned = options.answer?.(calls.length - 1);
    if (canned) return canned;
    if (Buffer.byteLength(text) > (options.maxBodyBytes ?? 240 * 1024)) return json(413, { error: error('PAYLOAD_TOO_LARGE') });
    if (tasks.length > 100)
      return json(400, { error: error('VALIDATION_ERROR', [{ field: 'tasks', problem: 'has more than 100 tasks' }]) });
    const results = tasks.map((task, index) => {
      const taskId = String(task.taskId);
      if (task.payload === undefined)
        return {
          index,
          taskId,
          statusCode: 400,
          error: error('VALIDATION_ERROR', [{ field: `tasks[${index}].payload`, problem: 'is required' }]),
        };
      if (options.unavailable?.includes(taskId)) return { index, taskId, statusCode: 503, error: error('ENQUEUE_FAILED') };
      const again = stored.has(taskId) && isDeepStrictEqual(stored.get(taskId), task.payload);
      stored.set(taskId, task.payload);
      return { index, taskId, statusCode: again ? 200 : 202, task: makeTask(taskId, 'QUEUED') };
    });
    return json(200, { results, counts: {} });
  }) as typeof globalThis.fetch;
  return { calls, client: new ConsoleClient({ baseUrl: 'http://api.test/dev', apiKey: 'the-key', fetch }) };
}

/** NDJSON of `n` valid tasks, `t1`..`tn`. */
const ndjson = (n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ taskId: `t${i + 1}`, payload: { n: i + 1 }, ...extra })).join('\n');

/** Runs submitLines and collects every row it reports, in the order reported. */
async function run(client: ConsoleClient, lines: BulkLine[]): Promise<BulkRow[]> {
  const rows: BulkRow[] = [];
  await submitLines(client, lines, (answered) => rows.push(...answered));
  return rows;
}

const brief = (rows: BulkRow[]) =>
  rows.map((row) => [
    row.line,
    row.taskId,
    row.outcome.kind === 'error' || row.outcome.kind === 'task' ? row.outcome.statusCode : row.outcome.kind,
  ]);

describe('console: Submit many (NDJSON through POST /tasks/batch)', () => {
  describe('reading NDJSON', () => {
    it('takes one object a line, counts blank lines in the line numbers, and accepts CRLF and a byte-order mark', () => {
      const { lines, rejected } = parseNdjson(
        '\uFEFF{"taskId":"a","payload":{}}\r\n\r\n  \n{"taskId":"b","payload":{"x":1},"delaySeconds":5}\n',
      );

      expect(lines).to.deep.equal([
        { line: 1, taskId: 'a', task: { taskId: 'a', payload: {} } },
        { line: 4, taskId: 'b', task: { taskId: 'b', payload: { x: 1 }, delaySeconds: 5 } },
      ]);
      expect(rejected).to.deep.equal([]);
    });

    it('does not send a line that is not a JSON object, nor a repeat of an earlier taskId, and says why', () => {
      const { lines, rejected } = parseNdjson(
        ['{"taskId":"a","payload":{}}', '{"taskId": "a", oops}', '[1,2]', '42', 'null', '{"taskId":"a","payload":{"other":1}}'].join('\n'),
      );

      expect(lines.map((l) => l.line)).to.deep.equal([1]);
      const reasons = rejected.map((row) => [row.line, row.outcome.kind === 'not-sent' && row.outcome.reason]);
      expect(String(reasons[0][1]).replace(/:.*/, ': …')).to.equal('Not JSON: …');
      expect(reasons.slice(1)).to.deep.equal([
        [3, 'Not a JSON object: got array'],
        [4, 'Not a JSON object: got number'],
        [5, 'Not a JSON object: got null'],
        [6, 'Its taskId repeats line 1; only the first is sent'],
      ]);
      expect(reasons[0][0]).to.equal(2);
      expect(rejected[0].outcome).to.have.property('reason').that.includes('JSON');
    });

    it('leaves the fields to the API: a line without a taskId or with a number for one is sent as it is', () => {
      const { lines } = parseNdjson('{"payload":{}}\n{"taskId":7,"payload":{}}\n{"taskId":7,"payload":{}}');

      expect(lines.map((l) => [l.line, l.taskId, l.task])).to.deep.equal([
        [1, undefined, { payload: {} }],
        [2, undefined, { taskId: 7, payload: {} }],
        [3, undefined, { taskId: 7, payload: {} }],
      ]);
    });
  });

  it('splits into runs of at most 100, in order', () => {
    const runs = chunk(Array.from({ length: 250 }, (_, i) => i));

    expect(runs.map((r) => r.length)).to.deep.equal([100, 100, 50]);
    expect(runs.flat()).to.deep.equal(Array.from({ length: 250 }, (_, i) => i));
    expect(chunk([])).to.deep.equal([]);
    expect(() => chunk([1], 0)).to.throw('chunk size must be a positive integer, got 0');
  });

  describe('sending', () => {
    it('sends 250 lines as 3 requests of at most 100 tasks with the key, each task as the line has it', async () => {
      const api = fakeBatchApi();
      const { lines } = parseNdjson(ndjson(250, { type: 'simulated' }));

      const rows = await run(api.client, lines);

      expect(api.calls.map((c) => [c.url, c.tasks.length])).to.deep.equal([
        ['http://api.test/dev/tasks/batch', 100],
        ['http://api.test/dev/tasks/batch', 100],
        ['http://api.test/dev/tasks/batch', 50],
      ]);
      expect(api.calls[0].headers).to.include({ 'x-api-key': 'the-key', 'content-type': 'application/json' });
      expect(api.calls.flatMap((c) => c.tasks)).to.deep.equal(lines.map((l) => l.task));
      expect(rows.map((r) => r.line)).to.deep.equal(lines.map((l) => l.line));
      expect(summarize(rows)).to.equal('250 lines: 202 × 250');
    });

    it("gives each line its own answer: new, already there, the item's 400 without the request's index, a 503 to resend", async () => {
      const api = fakeBatchApi({ unavailable: ['t4'] });
      await run(api.client, parseNdjson(ndjson(1)).lines);
      const input = [ndjson(2), '', '{"taskId":"t3"}', '{"taskId":"t4","payload":{}}'].join('\n');

      const rows = await run(api.client, parseNdjson(input).lines);

      expect(brief(rows)).to.deep.equal([
        [1, 't1', 200],
        [2, 't2', 202],
        [4, 't3', 400],
        [5, 't4', 503],
      ]);
      expect(rows[2].outcome).to.deep.include({ code: 'VALIDATION_ERROR', problems: ['payload is required'] });
      expect(rows.filter(isRetryable).map((r) => r.taskId)).to.deep.equal(['t4']);
      expect(summarize(rows)).to.equal('4 lines: 200 × 1, 202 × 1, 400 × 1, 503 × 1');
    });

    it('splits a request the API finds too large (413) in halves, down to the one task that is', async () => {
      const big = JSON.stringify({ taskId: 'big', payload: { blob: 'x'.repeat(3000) } });
      const api = fakeBatchApi({ maxBodyBytes: 2500 });
      const { lines } = parseNdjson([ndjson(60), big].join('\n'));

      const rows = await run(api.client, lines);

      expect(api.calls.every((c) => c.tasks.length <= 100)).to.equal(true);
      expect(brief(rows.filter((r) => r.outcome.kind !== 'task'))).to.deep.equal([[61, 'big', 413]]);
      expect(rows.filter((r) => r.outcome.kind === 'task')).to.have.length(60);
      expect(rows.map((r) => r.line)).to.deep.equal(lines.map((l) => l.line));
    });

    it('gives every line of a request the API refused as a whole its status, and goes on with the next request', async () => {
      const api = fakeBatchApi({
        answer: (call) =>
          call === 0
            ? new Response(JSON.stringify({ error: { code: 'INTERNAL', message: 'it broke', details: [] } }), { status: 500 })
            : undefined,
      });

      const rows = await run(api.client, parseNdjson(ndjson(150)).lines);

      expect(rows.slice(0, 100).every((r) => r.outcome.kind === 'error' && r.outcome.statusCode === 500 && isRetryable(r))).to.equal(true);
      expect(rows[0].outcome).to.deep.include({ code: 'INTERNAL', message: 'it broke' });
      expect(rows.slice(100).every((r) => r.outcome.kind === 'task')).to.equal(true);
    });

    it('says when the answer has no result for a line', async () => {
      const api = fakeBatchApi({
        answer: () => new Response(JSON.stringify({ results: [], counts: {} }), { status: 200 }),
      });

      const rows = await run(api.client, parseNdjson(ndjson(1)).lines);

      expect(rows[0].outcome).to.deep.include({ kind: 'error', code: 'BAD_RESPONSE', message: 'the API returned no result for it' });
    });

    it('stops at a rejected key or a lost API, after reporting the requests answered before', async () => {
      const forbidden = fakeBatchApi({
        answer: (call) => (call === 1 ? new Response(JSON.stringify({ message: 'Forbidden' }), { status: 403 }) : undefined),
      });
      const rows: BulkRow[] = [];

      const failure = await submitLines(forbidden.client, parseNdjson(ndjson(250)).lines, (r) => rows.push(...r)).catch((e) => e);

      expect(failure).to.be.instanceOf(AuthError);
      expect([rows.length, forbidden.calls.length]).to.deep.equal([100, 2]);

      const lost = new ConsoleClient({
        baseUrl: 'http://api.test',
        fetch: (async () => {
          throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
        }) as typeof fetch,
      });
      expect(await run(lost, parseNdjson(ndjson(1)).lines).catch((e) => e)).to.be.instanceOf(ConnectionError);
    });
  });

  describe('the results table', () => {
    it('links a submitted task to its page and says whether it is new', () => {
      expect(rowCells({ line: 3, taskId: 'order:42', outcome: { kind: 'task', statusCode: 202 } })).to.deep.equal({
        line: '3',
        taskId: 'order:42',
        href: '#/task/order%3A42',
        status: '202',
        result: 'Queued: a new task',
        failed: false,
      });
      expect(rowCells({ line: 1, taskId: 'a', outcome: { kind: 'task', statusCode: 200 } }).result).to.equal(
        'Already submitted with this payload',
      );
    });

    it("shows an error's code, message and problems as they came, with no link; a line not sent says why", () => {
      const error: BulkRow = {
        line: 7,
        taskId: XSS,
        outcome: { kind: 'error', statusCode: 400, code: 'VALIDATION_ERROR', message: `bad ${XSS}`, problems: [`payload.${XSS} is odd`] },
      };

      expect(rowCells(error)).to.deep.equal({
        line: '7',
        taskId: XSS,
        status: '400',
        result: `VALIDATION_ERROR: bad ${XSS} (payload.${XSS} is odd)`,
        failed: true,
      });
      const told: BulkRow = {
        line: 2,
        outcome: {
          kind: 'error',
          statusCode: 400,
          code: 'VALIDATION_ERROR',
          message: 'invalid: payload is required',
          problems: ['payload is required'],
        },
      };
      expect(rowCells(told).result, 'a problem the message names, once').to.equal('VALIDATION_ERROR: invalid: payload is required');
      expect(rowCells({ line: 8, outcome: { kind: 'not-sent', reason: 'Not a JSON object (got an array)' } })).to.deep.equal({
        line: '8',
        taskId: '',
        status: 'not sent',
        result: 'Not a JSON object (got an array)',
        failed: true,
      });
      expect(rowCells({ line: 9, taskId: 'b', outcome: { kind: 'waiting' } })).to.include({ status: 'waiting', result: '' });
    });
  });
});
