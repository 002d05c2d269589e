import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../support/localServers';
import { eventually, processesWithEnv } from '../support/processes';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { BAD_REQUESTS } from './badInputCorpus';

const ROOT = path.resolve(__dirname, '..', '..');
/** Every process of the stack inherits this variable: how the test finds orphans. */
const MARKER = 'LOCAL_STACK_E2E_RUN';

interface TaskView {
  taskId: string;
  status: string;
  attempts: number;
  history: { type: string; at: string; attempt: number }[];
}

describe('npm start: the local stack end to end, over HTTP only', function () {
  this.timeout(60_000);
  const runId = crypto.randomBytes(6).toString('hex');
  const apiKey = `e2e-key-${runId}-0123456789`;
  let stack: ChildProcess | undefined;
  let output = '';
  let baseUrl = '';
  let dynamoDbPort = 0;

  const api = async (method: string, route: string, body?: unknown, key: string | null = apiKey) => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { ...(key ? { 'x-api-key': key } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as TaskView };
  };

  const waitForStatus = (taskId: string, status: string, timeoutMs: number) => {
    let last: TaskView | undefined;
    return eventually(
      async () => {
        last = (await api('GET', `/tasks/${taskId}`)).body;
        return last?.status === status ? last : undefined;
      },
      { timeoutMs, intervalMs: 250, describe: () => `task ${taskId} did not reach ${status} in ${timeoutMs} ms; last: ${JSON.stringify(last)}` },
    );
  };

  before(async function () {
    // First run on a fresh machine: JVM start-up plus the TypeScript build of every handler.
    this.timeout(150_000);
    const [dynamoDb, sqs, http, lambda] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    baseUrl = `http://127.0.0.1:${http}`;
    dynamoDbPort = dynamoDb;
    stack = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start'], {
      cwd: ROOT,
      // Its own process group, as a terminal gives `npm start`: Ctrl-C is a SIGINT to the group.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LOCAL_DYNAMODB_PORT: String(dynamoDb),
        LOCAL_SQS_PORT: String(sqs),
        LOCAL_HTTP_PORT: String(http),
        LOCAL_LAMBDA_PORT: String(lambda),
        LOCAL_API_KEY: apiKey,
        NO_COLOR: '1',
        [MARKER]: runId,
      },
    });
    stack.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      stack!.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output.slice(-3000)}`))),
    );
    const started = Date.now();
    await Promise.race([
      exited,
      eventually(() => output.includes('Local stack ready'), {
        timeoutMs: 140_000,
        describe: () => `npm start was not ready in 140 s:\n${output.slice(-3000)}`,
      }),
    ]);
    console.log(`      (npm start ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  after(async function () {
    this.timeout(30_000);
    if (stack?.pid === undefined) return;
    if (stack.exitCode === null) {
      const exit = new Promise((resolve) => stack!.once('exit', resolve));
      process.kill(-stack.pid, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
      clearTimeout(timer);
    }
    let orphans: number[] = [];
    try {
      await eventually(() => processesWithEnv(MARKER, runId).length === 0, {
        timeoutMs: 10_000,
        describe: () => `processes of the stack still running 10 s after Ctrl-C: ${(orphans = processesWithEnv(MARKER, runId)).join(', ')}`,
      });
    } finally {
      for (const pid of processesWithEnv(MARKER, runId)) process.kill(pid, 'SIGKILL');
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
    await eventually(() => output.split('\n').some((line) => line.startsWith('monitorDlq') && line.includes('"TASK_FAILED"') && line.includes(taskId)), {
      timeoutMs: 5_000,
      describe: () => `no monitorDlq TASK_FAILED line for ${taskId} in the npm start output`,
    });
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

  describe(`bad-input corpus (${BAD_REQUESTS.length} malformed requests)`, () => {
    const itemCount = async () => {
      const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoDbPort}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        const { Count } = await client.send(new ScanCommand({ TableName: 'task-pipeline-local-tasks', Select: 'COUNT', ConsistentRead: true }));
        return Count ?? 0;
      } finally {
        client.destroy();
      }
    };
    let itemsBefore = 0;
    let outputBefore = 0;

    before(async () => {
      itemsBefore = await itemCount();
      outputBefore = output.length;
    });

    for (const request of BAD_REQUESTS) {
      it(`${request.name}: ${request.status}, naming the problem`, async () => {
        const key = request.apiKey === undefined ? apiKey : request.apiKey;
        const headers: Record<string, string> = {};
        if (key) headers['x-api-key'] = key;
        if (request.name === 'API key in the wrong header') headers.authorization = `Bearer ${apiKey}`;
        if (request.body !== undefined && request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';

        const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers, body: request.body });
        const text = await response.text();

        expect(response.status, text.slice(0, 300)).to.equal(request.status);
        expect(response.headers.get('content-type') ?? '').to.match(/json/);
        const body = JSON.parse(text);
        expect(JSON.stringify(body).toLowerCase(), 'the error names the problem').to.contain(request.names.toLowerCase());
      });
    }

    it('wrote nothing to the table and submitted nothing to the queue', async () => {
      expect(await itemCount()).to.equal(itemsBefore);
      expect(output.slice(outputBefore)).not.to.contain('TASK_SUBMITTED');
    });
  });
});
