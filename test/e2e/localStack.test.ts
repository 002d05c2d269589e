import crypto from 'node:crypto';
import http from 'node:http';
import { expect } from 'chai';
import { processesWithEnv, startStackProcess, type StackProcess } from '../../devstack';
import { pollUntil } from '../../tools/poll';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { STAGE, printedConfig, type CfnTemplate } from '../template/packagedTemplate';
import { BAD_BATCH_ITEMS, BAD_REQUESTS, type BadRequest, type GatewayResponseType } from './badInputCorpus';
import { startReceiver, status } from '../support/webhookReceiver';
import { expectResponseInSpec } from '../support/openApi';

/** Every process of the stack inherits this variable: how the test finds orphans. */
const MARKER = 'LOCAL_STACK_E2E_RUN';

/**
 * API Gateway's documented defaults for the error types the corpus meets: status and
 * `$context.error.message`. Written from the API Gateway developer guide, not imported from
 * devstack/, so the oracle shares no code with the gateway under test.
 */
const API_GATEWAY_DEFAULTS: Record<GatewayResponseType, { status: number; message: string; customizable: boolean }> = {
  INVALID_API_KEY: { status: 403, message: 'Forbidden', customizable: true },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', customizable: true },
  // "Customizing the default gateway response of 413 REQUEST_TOO_LARGE is not supported" (known issues).
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', customizable: false },
};

/** What API Gateway answers for `type` under the GatewayResponse resources: status and JSON body. */
function gatewayAnswer(template: Pick<CfnTemplate, 'Resources'>, type: GatewayResponseType): { status: number; body: unknown } {
  const defaults = API_GATEWAY_DEFAULTS[type];
  const byType = new Map(
    Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::ApiGateway::GatewayResponse')
      .map((resource) => [resource.Properties.ResponseType as string, resource.Properties]),
  );
  const own = defaults.customizable ? byType.get(type) : undefined;
  const fallback = defaults.customizable ? byType.get(defaults.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX') : undefined;
  const status = Number(own?.StatusCode ?? fallback?.StatusCode ?? defaults.status);
  const text: string = (own ?? fallback)?.ResponseTemplates?.['application/json'] ?? '{"message":$context.error.messageString}';
  const body = JSON.parse(
    text.replaceAll('$context.error.responseType', type).replaceAll('$context.error.messageString', JSON.stringify(defaults.message)),
  );
  return { status, body };
}

/** One request sent byte for byte (fetch would remove dot segments and normalise the path). */
function rawRequest(baseUrl: string, request: { method: string; path: string; headers: Record<string, string>; body?: string | Buffer }) {
  const { hostname, port } = new URL(baseUrl);
  const headers = {
    ...request.headers,
    ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}),
  };
  return new Promise<{ status: number; contentType: string; text: string }>((resolve, reject) => {
    const req = http.request({ host: hostname, port, method: request.method, path: request.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          expectResponseInSpec({ method: request.method, path: request.path, status: res.statusCode!, headers: res.headers, body: text });
        } catch (error) {
          return reject(error);
        }
        resolve({ status: res.statusCode!, contentType: res.headers['content-type'] ?? '', text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

interface TaskView {
  taskId: string;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt?: string;
  result?: unknown;
  history: { type: string; at: string; attempt: number }[];
}

describe('npm start: the local stack end to end, over HTTP only', function () {
  this.timeout(60_000);
  const runId = crypto.randomBytes(6).toString('hex');
  const apiKey = `e2e-key-${runId}-0123456789`;
  let stack: StackProcess | undefined;
  let output = '';
  let baseUrl = '';
  let dynamoDbPort = 0;
  // The resources serverless resolves for an AWS stage (`serverless print`, no build): what API
  // Gateway would answer comes from their GatewayResponses, which the template suites check are
  // the packaged template's. Packaging here, beside npm start, once ran out of open files (EMFILE).
  let resolving: Promise<Pick<CfnTemplate, 'Resources'>> | undefined;

  const api = async (method: string, route: string, body?: unknown, key: string | null = apiKey) => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { ...(key ? { 'x-api-key': key } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    expectResponseInSpec({ method, path: route, status: response.status, headers: response.headers, body: text });
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as TaskView };
  };

  const waitForStatus = (taskId: string, status: string, timeoutMs: number) => {
    let last: TaskView | undefined;
    return pollUntil(
      async () => {
        last = (await api('GET', `/tasks/${taskId}`)).body;
        return last?.status === status ? last : undefined;
      },
      {
        timeoutMs,
        intervalMs: 250,
        failure: () => `task ${taskId} did not reach ${status} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      },
    );
  };

  before(async function () {
    // First run on a fresh machine: JVM start-up plus the TypeScript build of every handler.
    this.timeout(150_000);
    resolving = printedConfig(STAGE).then((config) => ({ Resources: config.resources.Resources }));
    resolving.catch(() => undefined);
    // Its own process group, as a terminal gives `npm start`: Ctrl-C is a SIGINT to the group.
    stack = await startStackProcess({
      apiKey,
      marker: { name: MARKER, value: runId },
      timeoutMs: 140_000,
      onOutput: (text) => (output += text),
    });
    baseUrl = stack.baseUrl;
    dynamoDbPort = stack.ports.dynamoDb;
    console.log(`      (npm start ready in ${stack.bootSeconds.toFixed(1)} s)`);
  });

  after(async function () {
    this.timeout(30_000);
    if (!stack) return;
    // Ctrl-C, then nothing of the stack may be left: checked before stop() kills any leftover.
    stack.process.signal('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stack.process.exited, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
    clearTimeout(timer);
    let orphans: number[] = [];
    try {
      await pollUntil(() => processesWithEnv(MARKER, runId).length === 0, {
        timeoutMs: 10_000,
        intervalMs: 200,
        failure: () =>
          `processes of the stack still running 10 s after Ctrl-C: ${((orphans = processesWithEnv(MARKER, runId))).join(', ')}`,
      });
    } finally {
      await stack.process.stop();
    }
    expect(orphans).to.deep.equal([]);
  });

  it('runs the reconciler on its schedule, as EventBridge would', () => {
    expect(output).to.match(/Scheduling \[reconcileTasks\]/);
  });

  it('refuses a request without the API key (403)', async () => {
    const response = await api('POST', '/tasks', { taskId: `no-key-${runId}`, payload: {} }, null);

    expect(response.status).to.equal(403);
  });

  it('retries a task that fails every attempt, then dead-letters it and marks it FAILED after 3 attempts', async () => {
    const taskId = `always-fails-${runId}`;

    const submitted = await api('POST', '/tasks', { taskId, payload: { simulate: 'fail' } });
    const task = await waitForStatus(taskId, 'FAILED', 45_000);

    expect(submitted.status).to.equal(202);
    expect(task.attempts).to.equal(3);
    expect(task.history.map((event) => event.type)).to.deep.equal([
      'QUEUED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'DEAD_LETTERED',
      'FAILED',
    ]);
    // The DLQ monitor's line, tagged with its function name by npm start.
    await pollUntil(
      () => output.split('\n').some((line) => line.startsWith('monitorDlq') && line.includes('"TASK_FAILED"') && line.includes(taskId)),
      {
        timeoutMs: 5_000,
        intervalMs: 200,
        failure: () => `no monitorDlq TASK_FAILED line for ${taskId} in the npm start output`,
      },
    );
  });

  it('succeeds on attempt 2 when only attempt 1 fails, with the history in order', async () => {
    const taskId = `fails-once-${runId}`;

    const submitted = await api('POST', '/tasks', { taskId, payload: { simulate: { failOnAttempts: [1] } } });
    const task = await waitForStatus(taskId, 'SUCCEEDED', 30_000);

    expect(submitted.status).to.equal(202);
    expect(task.attempts).to.equal(2);
    expect(task.history.map((event) => event.type)).to.deep.equal(['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'PROCESSING', 'SUCCEEDED']);
    expect(task.history.map((event) => event.attempt)).to.deep.equal([0, 1, 1, 2, 2]);
  });

  it('finishes tasks whose payloads hold an emoji, U+FFFE, U+FFFF and control characters, and knows them again by their payload', async () => {
    // The hardening report's reproductions: each answered 503 ENQUEUE_FAILED for ever.
    const payloads = [{ e: '😀' }, { s: '\uffff' }, { s: '\ufffe', c: '\u0000\u001f', z: '👨‍👩‍👧 \u{10ffff}' }].map((p) => ({
      ...p,
      simulate: 'succeed',
    }));
    const ids = payloads.map((_, i) => `unicode-${i}-${runId}`);

    const answers = await Promise.all(payloads.map((payload, i) => api('POST', '/tasks', { taskId: ids[i], payload })));
    const tasks = await Promise.all(ids.map((id) => waitForStatus(id, 'SUCCEEDED', 30_000)));

    expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202]);
    expect(tasks.map((t) => t.attempts)).to.deep.equal([1, 1, 1]);
    const again = await Promise.all(payloads.map((payload, i) => api('POST', '/tasks', { taskId: ids[i], payload })));
    expect(
      again.map((a) => a.status),
      'the same payload again is the same task',
    ).to.deep.equal([200, 200, 200]);
  });

  it('runs a wordCount task and returns its result on GET, with its type', async () => {
    const taskId = `words-${runId}`;

    const submitted = await api('POST', '/tasks', { taskId, type: 'wordCount', payload: { text: 'to be or not to be 😀' } });
    const task = await waitForStatus(taskId, 'SUCCEEDED', 30_000);

    expect(submitted.status).to.equal(202);
    expect(task).to.include({ type: 'wordCount', attempts: 1, maxAttempts: 2 });
    expect(task.result).to.deep.equal({ words: 7, characters: 20 });
  });

  it('delivers a webhook task to a receiver on 127.0.0.1 (the local stage allows http there) and stores {status, durationMs}', async () => {
    const receiver = await startReceiver();
    try {
      receiver.answer(status(201));
      const taskId = `hook-${runId}`;

      await api('POST', '/tasks', { taskId, type: 'webhook', payload: { url: receiver.url('/orders'), body: { id: 7 } } });
      const task = await waitForStatus(taskId, 'SUCCEEDED', 30_000);

      expect((task.result as { status: number }).status).to.equal(201);
      expect(receiver.received.map((r) => [r.path, JSON.parse(r.body), r.headers['idempotency-key']])).to.deep.equal([
        ['/orders', { id: 7 }, taskId],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('cancels a delayed task before it starts (200 twice), and the delayed message is absorbed', async () => {
    const taskId = `cancel-${runId}`;

    const submitted = await api('POST', '/tasks', { taskId, payload: { simulate: 'succeed' }, delaySeconds: 2 });
    expect(submitted.status).to.equal(202);
    expect(submitted.body.nextAttemptAt).to.be.a('string');
    const cancelled = await api('POST', `/tasks/${taskId}/cancel`);
    const again = await api('POST', `/tasks/${taskId}/cancel`);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const task = (await api('GET', `/tasks/${taskId}`)).body;

    expect([cancelled.status, again.status]).to.deep.equal([200, 200]);
    expect(task.status).to.equal('CANCELLED');
    expect(task.history.map((e) => e.type)).to.deep.equal(['QUEUED', 'CANCELLED']);
    const listed = await api('GET', '/tasks?status=CANCELLED&limit=100');
    expect((listed.body as unknown as { tasks: TaskView[] }).tasks.map((t) => t.taskId)).to.include(taskId);
  });

  it('submits a mixed batch over HTTP: one result per task in order, the valid ones finish, a resend changes nothing', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `e2e-bulk-${runId}-${i}`);
    const tasks: unknown[] = ids.map((taskId, i) => ({
      taskId,
      payload: { i, note: 'ok 😀\uffff', simulate: 'succeed' },
      ...(i === 3 ? { type: 'wordCount', payload: { text: 'one two three' } } : {}),
      ...(i === 4 ? { payload: { simulate: 'fail' } } : {}),
    }));
    tasks.splice(10, 0, { taskId: `e2e-bulk-${runId}-bad`, payload: [] }, { taskId: ids[0], payload: { i: 0 } }, 'not a task');

    const first = await api('POST', '/tasks/batch', { tasks });
    const { results, counts } = first.body as unknown as {
      results: { index: number; taskId?: string; statusCode: number }[];
      counts: object;
    };

    expect(first.status).to.equal(200);
    expect(counts).to.deep.equal({ 202: 30, 400: 3 });
    expect(results.map((r) => r.index)).to.deep.equal(tasks.map((_, i) => i));
    expect(results.slice(10, 13).map((r) => r.statusCode)).to.deep.equal([400, 400, 400]);
    const finished: TaskView[] = [];
    for (const [i, id] of ids.entries()) finished.push(await waitForStatus(id, i === 4 ? 'FAILED' : 'SUCCEEDED', 40_000));
    expect(finished[3].result).to.deep.equal({ words: 3, characters: 13 });
    const again = await api('POST', '/tasks/batch', { tasks: tasks.filter((_, i) => i < 10 || i > 12) });
    expect((again.body as unknown as { counts: object }).counts).to.deep.equal({ 200: 30 });
    expect((await api('GET', `/tasks/${ids[0]}`)).body.attempts).to.equal(1);
    expect((await api('GET', `/tasks/e2e-bulk-${runId}-bad`)).status).to.equal(404);
  });

  describe(`bad-input corpus (${BAD_REQUESTS.length} malformed requests)`, () => {
    let client: DynamoDBClient | undefined;
    const itemCount = async () => {
      client ??= new DynamoDBClient({
        endpoint: `http://127.0.0.1:${dynamoDbPort}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const { Count } = await client.send(
        new ScanCommand({ TableName: 'task-pipeline-local-tasks', Select: 'COUNT', ConsistentRead: true }),
      );
      return Count ?? 0;
    };
    let template: Pick<CfnTemplate, 'Resources'>;

    before(async function () {
      this.timeout(120_000);
      template = await resolving!;
      const table = (Object.keys(API_GATEWAY_DEFAULTS) as GatewayResponseType[]).map((type) => {
        const { status, body } = gatewayAnswer(template, type);
        return `${type} -> ${status} ${(body as { error?: { code?: string } }).error?.code ?? JSON.stringify(body)}`;
      });
      console.log(`      (API Gateway's answers from the resolved GatewayResponses: ${table.join('; ')})`);
    });

    after(() => client?.destroy());

    const describeAnswer = (request: BadRequest) =>
      request.gateway ? `API Gateway's ${request.gateway}` : `${request.status}, naming the problem`;
    for (const request of BAD_REQUESTS) {
      it(`${request.name}: ${describeAnswer(request)}, nothing written`, async () => {
        const key = request.apiKey === undefined ? apiKey : request.apiKey;
        const headers: Record<string, string> = {};
        if (key !== null) headers[request.apiKeyHeader ?? 'x-api-key'] = key;
        if (request.body !== undefined && request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';
        const itemsBefore = await itemCount();
        const outputBefore = output.length;

        const response = await rawRequest(baseUrl, { method: request.method, path: request.path, headers, body: request.body });

        const body = JSON.parse(response.text);
        expect(response.contentType).to.match(/json/);
        if (request.gateway) {
          const expected = gatewayAnswer(template, request.gateway);
          expect({ status: response.status, body }, "API Gateway's answer under the template's gateway responses").to.deep.equal(expected);
        } else {
          expect(response.status, response.text.slice(0, 300)).to.equal(request.status);
          expect(body).to.have.all.keys('error');
          expect(body.error).to.include.all.keys('code', 'message', 'details');
          expect(body.error.code).to.be.a('string');
          expect(JSON.stringify(body).toLowerCase(), 'the error names the problem').to.contain(request.names.toLowerCase());
        }
        expect(await itemCount(), 'items in the table').to.equal(itemsBefore);
        expect(output.slice(outputBefore)).not.to.contain('TASK_SUBMITTED');
      });
    }

    it(`as the tasks of one batch, the ${BAD_BATCH_ITEMS.length} JSON bodies above are each answered 400 naming the same problem, nothing written`, async () => {
      const itemsBefore = await itemCount();
      expect(BAD_BATCH_ITEMS.length).to.be.within(50, 100);

      const response = await rawRequest(baseUrl, {
        method: 'POST',
        path: '/tasks/batch',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        // Joined as text: some bodies nest deeper than JSON.stringify recurses.
        body: `{"tasks":[${BAD_BATCH_ITEMS.map((item) => item.body).join(',')}]}`,
      });

      expect(response.status, response.text.slice(0, 300)).to.equal(200);
      const { results } = JSON.parse(response.text) as { results: { index: number; statusCode: number; error?: unknown }[] };
      const wrong = BAD_BATCH_ITEMS.flatMap((item, i) => {
        const text = JSON.stringify(results[i]).toLowerCase();
        return results[i].statusCode === 400 && results[i].index === i && text.includes(item.names.toLowerCase())
          ? []
          : [`${item.name}: ${JSON.stringify(results[i]).slice(0, 200)}`];
      });
      expect(wrong).to.deep.equal([]);
      expect(await itemCount(), 'items in the table').to.equal(itemsBefore);
    });
  });
});
