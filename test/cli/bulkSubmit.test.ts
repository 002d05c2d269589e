import { expect } from 'chai';
import { MAX_REQUEST_BYTES, cutBatches, parseTaskLines, submitInBatches, type TaskLine } from '../../cli/bulkSubmit';
import { TasksClient } from '../../cli/client';
import { MAX_BODY_BYTES } from '../../lib/config';
import { API_KEY, FakeClock, startFakeApi, type FakeApi } from './fakeApi';

/** Tasks t1..tn on lines 1..n. */
const lines = (n: number, payload: unknown = {}): TaskLine[] =>
  Array.from({ length: n }, (_, i) => ({ line: i + 1, task: { taskId: `t${i + 1}`, payload } }));

describe('cli/bulkSubmit', () => {
  describe('parseTaskLines', () => {
    it('reads one object per line, skipping blank lines, with CRLF and a BOM, keeping line numbers', () => {
      const text = '\uFEFF{"taskId":"a","payload":{}}\r\n\r\n  \n{"taskId":"b","payload":{"n":1},"type":"wordCount"}\r\n';

      const { tasks, problems } = parseTaskLines(text);

      expect(problems).to.deep.equal([]);
      expect(tasks).to.deep.equal([
        { line: 1, task: { taskId: 'a', payload: {} } },
        { line: 4, task: { taskId: 'b', payload: { n: 1 }, type: 'wordCount' } },
      ]);
    });

    it('names the line of each line that is not JSON or not an object', () => {
      const { tasks, problems } = parseTaskLines('{"taskId":"a","payload":{}}\n{"taskId":\n[1]\n"x"\nnull\n');

      expect(tasks.map((t) => t.line)).to.deep.equal([1]);
      expect(problems.map((p) => p.line)).to.deep.equal([2, 3, 4, 5]);
      expect(problems[0].problem).to.match(/^not JSON: /);
      expect(problems.slice(1).map((p) => p.problem)).to.deep.equal([
        'not a JSON object: got array',
        'not a JSON object: got string',
        'not a JSON object: got null',
      ]);
    });
  });

  describe('cutBatches', () => {
    it('cuts at the batch size', () => {
      const { batches } = cutBatches(lines(250), 100);

      expect(batches.map((b) => b.length)).to.deep.equal([100, 100, 50]);
      expect(batches[2][0].line).to.equal(201);
    });

    it('keeps every request body within the byte limit, to the byte, and sets aside a task too large alone', () => {
      const big = 'x'.repeat(1000);
      const tasks = [...lines(10, { big }), { line: 11, task: { taskId: 'huge', payload: { big: 'y'.repeat(5000) } } }];
      const limit = Buffer.byteLength(JSON.stringify({ tasks: tasks.slice(0, 3).map((t) => t.task) })); // exactly three

      const { batches, tooLarge } = cutBatches(tasks, 100, limit);

      expect(batches.map((b) => b.length)).to.deep.equal([3, 3, 3, 1]);
      for (const batch of batches) {
        expect(Buffer.byteLength(JSON.stringify({ tasks: batch.map((t) => t.task) }))).to.be.at.most(limit);
      }
      expect(cutBatches(tasks.slice(0, 3), 100, limit - 1).batches.map((b) => b.length)).to.deep.equal([2, 1]);
      expect(tooLarge.map((t) => t.task.line)).to.deep.equal([11]);
    });

    it("holds requests to the API's default body limit", () => {
      expect(MAX_REQUEST_BYTES).to.equal(MAX_BODY_BYTES);
    });
  });

  describe('submitInBatches against the fake API', () => {
    let clock: FakeClock;
    let api: FakeApi;
    let client: TasksClient;

    beforeEach(async () => {
      clock = new FakeClock();
      api = await startFakeApi(clock);
      client = new TasksClient({ baseUrl: api.url, apiKey: API_KEY });
    });
    afterEach(() => api.close());

    it('keeps at most inFlight requests open at once, and answers one outcome per task in input order', async () => {
      let open = 0;
      let most = 0;
      const counting: Pick<TasksClient, 'submitBatch'> = {
        submitBatch: async (tasks, options) => {
          open++;
          most = Math.max(most, open);
          try {
            return await client.submitBatch(tasks, options);
          } finally {
            open--;
          }
        },
      };

      const result = await submitInBatches(counting, lines(50), { batchSize: 5, inFlight: 3, clock });

      expect(most).to.equal(3);
      expect(result.requests).to.equal(10);
      expect(result.outcomes.map((o) => [o.line, o.taskId, o.statusCode])).to.deep.equal(
        lines(50).map((t) => [t.line, t.task.taskId, 202]),
      );
    });

    it('sends only the 503 tasks again, after the Retry-After, until they are accepted', async () => {
      api.enqueueFailures.set('t2', 2);

      const result = await submitInBatches(client, lines(3), { batchSize: 100, clock });

      expect(api.batches.map((b) => b.tasks.map((t) => (t as { taskId: string }).taskId))).to.deep.equal([
        ['t1', 't2', 't3'],
        ['t2'],
        ['t2'],
      ]);
      expect(clock.sleeps).to.deep.equal([1000, 2000]);
      // Saved by the first request, its message owed: the resend that queues it answers 200.
      expect(result.outcomes.map((o) => o.statusCode)).to.deep.equal([202, 200, 202]);
      expect(api.owed.size).to.equal(0);
      expect(result).to.include({ requests: 3, retries: 2 });
    });

    it('gives up on a task still 503 after maxAttempts requests, keeping its last answer', async () => {
      api.enqueueFailures.set('t1', 10);

      const result = await submitInBatches(client, lines(1), { batchSize: 100, clock, maxAttempts: 3 });

      expect(api.batches).to.have.length(3);
      expect(result.outcomes[0]).to.deep.include({ line: 1, taskId: 't1', statusCode: 503 });
      expect(result.outcomes[0].error?.code).to.equal('ENQUEUE_FAILED');
    });

    it("waits the longer of the backoff and the API's Retry-After on a whole-request 503", async () => {
      api.override.set('POST /tasks/batch', {
        status: 503,
        body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'try later' } },
        headers: { 'retry-after': '7' },
        times: 2,
      });

      const result = await submitInBatches(client, lines(2), { batchSize: 100, clock });

      expect(clock.sleeps).to.deep.equal([7000, 7000]);
      expect(result.outcomes.map((o) => o.statusCode)).to.deep.equal([202, 202]);
      expect(api.requests.filter((r) => r.path === '/tasks/batch')).to.have.length(3);
    });

    it('stops at a rejected key without sending the other batches', async () => {
      const keyless = new TasksClient({ baseUrl: api.url });

      const result = await submitInBatches(keyless, lines(10), { batchSize: 2, inFlight: 1, clock });

      expect(api.requests).to.have.length(1);
      expect(result.aborted).to.match(/^403 /);
      expect(result.outcomes.every((o) => o.statusCode === null)).to.equal(true);
    });
  });
});
