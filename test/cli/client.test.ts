import { expect } from 'chai';
import {
  type ApiError,
  AuthError,
  ConflictError,
  ConnectionError,
  InvalidInputError,
  NotThisApiError,
  ServerError,
  TaskNotFoundError,
  TasksClient,
} from '../../cli/client';
import { makeTask } from './fakeApi';

/** A fetch that answers every request with one canned response (or one per URL) and records what was asked. */
function stubFetch(
  status: number,
  body: string | ((url: string) => string),
  calls: { url: string; init?: RequestInit }[] = [],
): typeof fetch {
  return (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(typeof body === 'string' ? body : body(url), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

/** The JSON of a task as the API returns it. */
const taskJson = (taskId: string) => JSON.stringify(makeTask(taskId, 'QUEUED'));

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('cli/client', () => {
  it('keeps the stage path of the base URL, encodes the taskId and sends the key', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const answer = (url: string) => (url.includes('?') ? JSON.stringify({ status: 'FAILED', tasks: [], cursor: null }) : taskJson('a b'));
    const client = new TasksClient({ baseUrl: 'https://api.example/dev/', apiKey: 'k', fetch: stubFetch(200, answer, calls) });

    await client.get('a b');
    await client.list({ status: 'FAILED', limit: 5, cursor: 'abc' });

    expect(calls[0].url).to.equal('https://api.example/dev/tasks/a%20b');
    expect((calls[0].init!.headers as Record<string, string>)['x-api-key']).to.equal('k');
    expect(calls[1].url).to.equal('https://api.example/dev/tasks?status=FAILED&limit=5&cursor=abc');
  });

  it('tells a new task (202) from an idempotent resubmission (200)', async () => {
    const body = taskJson('t');
    expect((await new TasksClient({ baseUrl: 'http://x', fetch: stubFetch(202, body) }).submit('t', {})).created).to.equal(true);
    expect((await new TasksClient({ baseUrl: 'http://x', fetch: stubFetch(200, body) }).submit('t', {})).created).to.equal(false);
  });

  const cases: [string, number, unknown, new (...args: never[]) => ApiError, string][] = [
    [
      '400 VALIDATION_ERROR',
      400,
      { error: { code: 'VALIDATION_ERROR', message: 'invalid request', details: [{ field: 'taskId', problem: 'is required' }] } },
      InvalidInputError,
      'VALIDATION_ERROR',
    ],
    [
      '413',
      413,
      { error: { code: 'PAYLOAD_TOO_LARGE', message: 'too big', details: { sizeBytes: 9 } } },
      InvalidInputError,
      'PAYLOAD_TOO_LARGE',
    ],
    ['403 Forbidden', 403, { message: 'Forbidden' }, AuthError, 'HTTP_403'],
    [
      '404 TASK_NOT_FOUND',
      404,
      { error: { code: 'TASK_NOT_FOUND', message: "task 'x' does not exist", details: {} } },
      TaskNotFoundError,
      'TASK_NOT_FOUND',
    ],
    ['404 without the API error body', 404, { error: 'Serverless-offline: route not found.' }, NotThisApiError, 'HTTP_404'],
    ["API Gateway's 403 for an unknown path", 403, { message: 'Missing Authentication Token' }, NotThisApiError, 'HTTP_403'],
    ['409', 409, { error: { code: 'TASK_STATE_CONFLICT', message: 'is QUEUED', details: {} } }, ConflictError, 'TASK_STATE_CONFLICT'],
    ['503', 503, { error: { code: 'ENQUEUE_FAILED', message: 'retry', details: {} } }, ServerError, 'ENQUEUE_FAILED'],
  ];
  for (const [name, status, body, type, code] of cases) {
    it(`raises ${type.name} with status and code for ${name}`, async () => {
      const client = new TasksClient({ baseUrl: 'http://x', fetch: stubFetch(status, JSON.stringify(body)) });

      const error = await failure(client.get('x'));

      expect(error).to.be.instanceOf(type);
      expect((error as ApiError).status).to.equal(status);
      expect((error as ApiError).code).to.equal(code);
    });
  }

  it('exposes the field problems of a 400', async () => {
    const body = {
      error: { code: 'VALIDATION_ERROR', message: 'm', details: [{ field: 'payload', problem: 'must be a JSON object, got array' }] },
    };
    const error = (await failure(
      new TasksClient({ baseUrl: 'http://x', fetch: stubFetch(400, JSON.stringify(body)) }).submit('t', []),
    )) as ApiError;

    expect(error.fieldProblems).to.deep.equal([{ field: 'payload', problem: 'must be a JSON object, got array' }]);
  });

  it('raises ConnectionError naming the URL and the reason when fetch fails', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;

    const error = await failure(new TasksClient({ baseUrl: 'http://127.0.0.1:1', fetch: refused }).get('x'));

    expect(error).to.be.instanceOf(ConnectionError);
    expect(error.message).to.equal('cannot reach http://127.0.0.1:1: connection refused (ECONNREFUSED)');
  });

  it('refuses a 2xx that is not JSON', async () => {
    const error = (await failure(new TasksClient({ baseUrl: 'http://x', fetch: stubFetch(200, '<html>') }).get('x'))) as ApiError;

    expect(error.code).to.equal('BAD_RESPONSE');
  });

  it('refuses a 2xx whose JSON is not a task, naming the field that is wrong', async () => {
    const body = JSON.stringify({ ...makeTask('x', 'QUEUED'), history: 'none' });

    const error = (await failure(new TasksClient({ baseUrl: 'http://x', fetch: stubFetch(200, body) }).get('x'))) as ApiError;

    expect(error.code).to.equal('BAD_RESPONSE');
    expect(error.message).to.match(/^unexpected JSON from GET http:\/\/x\/tasks\/x: history: /);
  });

  it('names the reason of a fetch failure that has no system error code', async () => {
    const broken = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('certificate has expired') });
    }) as typeof fetch;

    const error = await failure(new TasksClient({ baseUrl: 'https://x', fetch: broken }).get('x'));

    expect(error.message).to.equal('cannot reach https://x: certificate has expired');
  });

  describe('submitBatch', () => {
    const task = makeTask('a', 'QUEUED');
    const answer = {
      results: [
        { index: 0, taskId: 'a', statusCode: 202, task },
        { index: 1, taskId: 'b', statusCode: 503, error: { code: 'ENQUEUE_FAILED', message: 'again', details: {} } },
      ],
      counts: { 202: 1, 503: 1 },
    };
    const stub = (status: number, body: unknown, headers: Record<string, string>, calls: { url: string; init?: RequestInit }[] = []) =>
      (async (url: string, init?: RequestInit) => {
        calls.push({ url, init });
        return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
      }) as typeof fetch;

    it('posts {tasks} with the correlation id, and returns the results, counts and Retry-After', async () => {
      const calls: { url: string; init?: RequestInit }[] = [];
      const client = new TasksClient({ baseUrl: 'http://x/dev', fetch: stub(200, answer, { 'retry-after': '1' }, calls) });

      const result = await client.submitBatch(
        [
          { taskId: 'a', payload: {} },
          { taskId: 'b', payload: {} },
        ],
        { correlationId: 'c-1' },
      );

      expect(calls[0].url).to.equal('http://x/dev/tasks/batch');
      expect(JSON.parse(String(calls[0].init!.body))).to.deep.equal({
        tasks: [
          { taskId: 'a', payload: {} },
          { taskId: 'b', payload: {} },
        ],
      });
      expect((calls[0].init!.headers as Record<string, string>)['x-correlation-id']).to.equal('c-1');
      expect(result).to.deep.equal({ ...answer, retryAfterSeconds: 1 });
    });

    it('refuses an answer with another number of results, or a 202 without its task', async () => {
      const short = new TasksClient({ baseUrl: 'http://x', fetch: stub(200, answer, {}) });
      const noTask = { results: [{ index: 0, taskId: 'a', statusCode: 202 }], counts: { 202: 1 } };
      const bare = new TasksClient({ baseUrl: 'http://x', fetch: stub(200, noTask, {}) });

      const wrongCount = (await failure(short.submitBatch([{ taskId: 'a', payload: {} }]))) as ApiError;
      const missing = (await failure(bare.submitBatch([{ taskId: 'a', payload: {} }]))) as ApiError;

      expect(wrongCount.code).to.equal('BAD_RESPONSE');
      expect(wrongCount.message).to.equal('POST /tasks/batch answered 2 results for 1 tasks');
      expect(missing.code).to.equal('BAD_RESPONSE');
    });

    it('carries the Retry-After of a whole-request 503 on the error', async () => {
      const body = { error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } };
      const client = new TasksClient({ baseUrl: 'http://x', fetch: stub(503, body, { 'retry-after': '4' }) });

      const error = (await failure(client.submitBatch([{ taskId: 'a', payload: {} }]))) as ApiError;

      expect(error).to.be.instanceOf(ServerError);
      expect(error.retryAfterSeconds).to.equal(4);
    });
  });
});
