/**
 * A minimal in-process stand-in for the task HTTP API (node:http on 127.0.0.1,
 * free port) with canned state, and a harness that runs the CLI's main()
 * against it with captured output and a fake clock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { main } from '../../cli/main';
import type { Io } from '../../cli/context';
import type { TaskEvent, TaskStatus, TaskView } from '../../lib/domain/task';

export const API_KEY = 'test-key';
/** The task types the fake knows, as the API's registry names them; the first is the default. */
export const TASK_TYPES = ['simulated', 'webhook', 'wordCount'];
export const T0 = Date.parse('2025-01-02T03:04:05.000Z');

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  apiKey?: string;
  /** The fake clock when the request arrived. */
  at: number;
}

/** A clock the tests move: sleep advances time instantly and runs a hook. */
export class FakeClock {
  t = T0;
  sleeps: number[] = [];
  onSleep?: (ms: number) => void;
  now = () => this.t;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
    this.onSleep?.(ms);
  };
  iso(offsetMs = 0): string {
    return new Date(this.t + offsetMs).toISOString();
  }
}

/** A task in a given status with a plausible history. */
export function makeTask(taskId: string, status: TaskStatus, overrides: Partial<TaskView> = {}): TaskView {
  const at = new Date(T0).toISOString();
  const history: TaskEvent[] = [{ type: 'QUEUED', at, attempt: 0 }];
  if (status === 'SUCCEEDED') history.push({ type: 'PROCESSING', at, attempt: 1 }, { type: 'SUCCEEDED', at, attempt: 1 });
  if (status === 'CANCELLED') history.push({ type: 'CANCELLED', at, attempt: 0 });
  if (status === 'FAILED') {
    history.push(
      { type: 'PROCESSING', at, attempt: 1 },
      { type: 'DEAD_LETTERED', at, attempt: 1, error: { name: 'SimulatedFailure', message: 'boom' } },
      { type: 'FAILED', at, attempt: 1, error: { name: 'SimulatedFailure', message: 'boom' } },
    );
  }
  return {
    taskId,
    type: 'simulated',
    status,
    attempts: status === 'QUEUED' || status === 'CANCELLED' ? 0 : 1,
    maxAttempts: 3,
    lastError: status === 'FAILED' ? { name: 'SimulatedFailure', message: 'boom' } : null,
    createdAt: at,
    updatedAt: at,
    correlationId: `corr-${taskId}`,
    history,
    ...overrides,
  };
}

export interface FakeApi {
  url: string;
  tasks: Map<string, TaskView>;
  payloads: Map<string, unknown>;
  requests: RecordedRequest[];
  /** Largest page the listing returns whatever limit is asked (to exercise cursors). */
  maxPage: number;
  /** Runs before each request is answered (to move the clock or change state). */
  onRequest?: (req: RecordedRequest) => void;
  /** The body of every POST /tasks, parsed. */
  submits: unknown[];
  /** Canned answers for a route key like 'POST /tasks/t1/redrive', used before the normal routes. */
  override: Map<string, { status: number; body: unknown }>;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function apiError(res: http.ServerResponse, status: number, code: string, message: string, details: unknown = {}): void {
  send(res, status, { error: { code, message, details } });
}

/** A field of a parsed JSON body, or undefined when the body is not an object. */
function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[key] : undefined;
}

/** The API's reason (lib/app/cancel.ts) for refusing to cancel a task in this status. */
function cancelRefusal(status: TaskStatus): string {
  if (status === 'PROCESSING') return 'an attempt is running; cancel applies to a task waiting in the queue (QUEUED or RETRY_SCHEDULED)';
  if (status === 'DEAD_LETTERED') return 'its attempts are over and it is on its way to FAILED';
  return 'it has finished; only a QUEUED or RETRY_SCHEDULED task can be cancelled';
}

export async function startFakeApi(clock: FakeClock): Promise<FakeApi> {
  const api: FakeApi = {
    url: '',
    tasks: new Map(),
    payloads: new Map(),
    requests: [],
    submits: [],
    maxPage: 100,
    override: new Map(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        apiKey: req.headers['x-api-key'] as string | undefined,
        at: clock.now(),
      };
      api.requests.push(recorded);
      api.onRequest?.(recorded);

      const canned = api.override.get(`${recorded.method} ${recorded.path}`);
      const routeMatch = /^\/tasks(?:\/([^/]+)(?:\/(redrive|cancel))?)?$/.exec(url.pathname);
      if (!routeMatch) {
        // What serverless-offline answers for an unknown path.
        return send(res, 404, {
          statusCode: 404,
          error: 'Serverless-offline: route not found.',
          currentRoute: `${req.method} - ${url.pathname}`,
        });
      }
      if (recorded.apiKey !== API_KEY) return send(res, 403, { message: 'Forbidden' });
      if (canned) return send(res, canned.status, canned.body);

      const taskId = routeMatch[1] === undefined ? undefined : decodeURIComponent(routeMatch[1]);
      const action = routeMatch[2];
      const body = Buffer.concat(chunks).toString('utf8');

      if (req.method === 'POST' && taskId === undefined) {
        const parsed: unknown = JSON.parse(body);
        api.submits.push(parsed);
        const [id, payload, type, delaySeconds] = ['taskId', 'payload', 'type', 'delaySeconds'].map((k) => field(parsed, k));
        if (typeof id !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) {
          const problem = 'may contain only letters, digits and - _ . :';
          return apiError(res, 400, 'VALIDATION_ERROR', `invalid request: taskId ${problem}`, [{ field: 'taskId', problem }]);
        }
        const typeName = type ?? TASK_TYPES[0];
        if (typeof typeName !== 'string' || !TASK_TYPES.includes(typeName)) {
          const problem = `must be one of: ${TASK_TYPES.join(', ')}`;
          return apiError(res, 400, 'VALIDATION_ERROR', `invalid request: type ${problem}`, [{ field: 'type', problem }]);
        }
        const delay = delaySeconds ?? 0;
        if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > 900) {
          const problem = `must be an integer from 0 to 900, got ${JSON.stringify(delay)}`;
          return apiError(res, 400, 'VALIDATION_ERROR', `invalid request: delaySeconds ${problem}`, [{ field: 'delaySeconds', problem }]);
        }
        const existing = api.tasks.get(id);
        if (existing) {
          const samePayload = isDeepStrictEqual(api.payloads.get(id), payload);
          if (samePayload && existing.type === typeName) return send(res, 200, existing);
          const message = samePayload
            ? `task '${id}' already exists with type '${existing.type}'`
            : `task '${id}' already exists with a different payload`;
          return apiError(res, 409, 'TASK_CONFLICT', message, { taskId: id, ...(samePayload ? { type: existing.type } : {}) });
        }
        const task = makeTask(id, 'QUEUED', { type: typeName });
        if (delay > 0) {
          task.nextAttemptAt = clock.iso(delay * 1000);
          task.history[0].delaySeconds = delay;
        }
        api.tasks.set(task.taskId, task);
        api.payloads.set(task.taskId, payload);
        return send(res, 202, task);
      }
      if (req.method === 'GET' && taskId === undefined) {
        const status = url.searchParams.get('status') as TaskStatus;
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), api.maxPage);
        const offset = Number(url.searchParams.get('cursor') ?? 0);
        const matching = [...api.tasks.values()].filter((t) => t.status === status).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
        // As the API lists them: no history or result, and no lastError when there is none.
        const tasks = matching
          .slice(offset, offset + limit)
          .map(({ history: _history, result: _result, lastError, ...summary }) => ({ ...summary, ...(lastError ? { lastError } : {}) }));
        const next = offset + limit < matching.length ? String(offset + limit) : null;
        return send(res, 200, { status, tasks, cursor: next });
      }
      const task = taskId === undefined ? undefined : api.tasks.get(taskId);
      if (!task) return apiError(res, 404, 'TASK_NOT_FOUND', `task '${taskId}' does not exist`, { taskId });
      if (req.method === 'GET' && action === undefined) return send(res, 200, task);
      if (req.method === 'POST' && action === 'redrive') {
        if (task.status !== 'FAILED' && task.status !== 'CANCELLED') {
          const message = `task '${taskId}' is ${task.status}: only a FAILED or CANCELLED task can be redriven`;
          return apiError(res, 409, 'TASK_STATE_CONFLICT', message, { taskId, status: task.status });
        }
        const at = clock.iso();
        Object.assign(task, { status: 'QUEUED', attempts: 0, lastError: null, updatedAt: at });
        task.history.push({ type: 'REDRIVEN', at, attempt: 0 });
        return send(res, 202, task);
      }
      if (req.method === 'POST' && action === 'cancel') {
        if (task.status === 'CANCELLED') return send(res, 200, task);
        if (task.status !== 'QUEUED' && task.status !== 'RETRY_SCHEDULED') {
          const message = `task '${taskId}' is ${task.status}: ${cancelRefusal(task.status)}`;
          return apiError(res, 409, 'TASK_STATE_CONFLICT', message, { taskId, status: task.status });
        }
        const at = clock.iso();
        Object.assign(task, { status: 'CANCELLED', updatedAt: at });
        delete task.nextAttemptAt;
        task.history.push({ type: 'CANCELLED', at, attempt: task.attempts });
        return send(res, 200, task);
      }
      return send(res, 405, { message: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Every stdout write in order, with how many requests the API had seen at that moment. */
  writes: { text: string; requests: number }[];
}

/** Runs main() with captured output, the fake clock and an environment (no TASKS_* from the real one). */
export async function runCli(
  args: string[],
  options: { clock: FakeClock; api?: FakeApi; env?: Record<string, string | undefined>; files?: Record<string, string> },
): Promise<CliResult> {
  const result: CliResult = { code: -1, stdout: '', stderr: '', writes: [] };
  const io: Io = {
    stdout: (text) => {
      result.stdout += text;
      result.writes.push({ text, requests: options.api?.requests.length ?? 0 });
    },
    stderr: (text) => {
      result.stderr += text;
    },
    env: options.env ?? (options.api ? { TASKS_API_URL: options.api.url, TASKS_API_KEY: API_KEY } : {}),
    now: options.clock.now,
    sleep: options.clock.sleep,
    readFile: async (path) => {
      const text = options.files?.[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
  result.code = await main(args, io);
  return result;
}
