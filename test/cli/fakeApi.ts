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
import { describeType, taskIdProblem } from '../../lib/domain/taskId';

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
  /**
   * Canned answers for a route key like 'POST /tasks/t1/redrive', used before the normal routes;
   * one with `times` is used that many times, then the route answers as usual.
   */
  override: Map<string, { status: number; body: unknown; headers?: Record<string, string>; times?: number }>;
  /** The envelope of every POST /tasks/batch that passed the whole-request checks. */
  batches: { tasks: unknown[]; correlationId?: string; bytes: number }[];
  /** The body limit of POST /tasks/batch (413 above it). */
  maxBodyBytes: number;
  /** How many more times the message of a taskId fails to be queued (503 ENQUEUE_FAILED, the task saved and its message owed). */
  enqueueFailures: Map<string, number>;
  /** TaskIds whose messages the queue refuses for good (422 MESSAGE_REJECTED). */
  rejectedMessages: Set<string>;
  /** TaskIds saved with their message not yet queued. */
  owed: Set<string>;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function apiError(res: http.ServerResponse, status: number, code: string, message: string, details: unknown = {}): void {
  send(res, status, { error: { code, message, details } });
}

/** An answer before it is sent. */
interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function errorAnswer(status: number, code: string, message: string, details: unknown = {}): Answer {
  return { status, body: { error: { code, message, details } } };
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
    batches: [],
    maxBodyBytes: 240 * 1024,
    enqueueFailures: new Map(),
    rejectedMessages: new Set(),
    owed: new Set(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** POST /tasks of one task (`prefix` is `tasks[i].` in a batch), as lib/app/submit.ts answers it. */
  const submitOne = (parsed: unknown, prefix: string): Answer => {
    const invalid = (field: string, problem: string): Answer =>
      errorAnswer(400, 'VALIDATION_ERROR', `invalid request: ${prefix}${field} ${problem}`, [{ field: `${prefix}${field}`, problem }]);
    const [id, payload, type, delaySeconds] = ['taskId', 'payload', 'type', 'delaySeconds'].map((k) => field(parsed, k));
    const idProblem = taskIdProblem(id) ?? (id === 'batch' ? 'is reserved (POST /tasks/batch is the batch route)' : undefined);
    if (idProblem) return invalid('taskId', idProblem);
    const taskIdValue = id as string;
    const unknown = Object.keys(parsed as object).find((k) => !['taskId', 'payload', 'type', 'delaySeconds'].includes(k));
    if (unknown !== undefined) return invalid(unknown, 'is not a known field');
    if (payload === undefined) return invalid('payload', 'is required');
    const typeName = type ?? TASK_TYPES[0];
    if (typeof typeName !== 'string' || !TASK_TYPES.includes(typeName)) return invalid('type', `must be one of: ${TASK_TYPES.join(', ')}`);
    const delay = delaySeconds ?? 0;
    if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > 900)
      return invalid('delaySeconds', `must be an integer from 0 to 900, got ${JSON.stringify(delay)}`);
    if (api.rejectedMessages.has(taskIdValue))
      return errorAnswer(422, 'MESSAGE_REJECTED', `the queue refused the message of task '${taskIdValue}'`, { taskId: taskIdValue });
    const existing = api.tasks.get(taskIdValue);
    if (existing) {
      const samePayload = isDeepStrictEqual(api.payloads.get(taskIdValue), payload);
      if (!samePayload || existing.type !== typeName) {
        const message = samePayload
          ? `task '${taskIdValue}' already exists with type '${existing.type}'`
          : `task '${taskIdValue}' already exists with a different payload`;
        return errorAnswer(409, 'TASK_CONFLICT', message, { taskId: taskIdValue, ...(samePayload ? { type: existing.type } : {}) });
      }
      // Resending a task whose message is owed sends it once more.
      if (api.owed.has(taskIdValue) && !enqueue(taskIdValue)) return enqueueFailed(taskIdValue);
      return { status: 200, body: existing };
    }
    const task = makeTask(taskIdValue, 'QUEUED', { type: typeName });
    if (delay > 0) {
      task.nextAttemptAt = clock.iso(delay * 1000);
      task.history[0].delaySeconds = delay;
    }
    api.tasks.set(task.taskId, task);
    api.payloads.set(task.taskId, payload);
    // The task is written before its message is sent: a failed send leaves the message owed.
    if (!enqueue(taskIdValue)) return enqueueFailed(taskIdValue);
    return { status: 202, body: task };
  };

  /** Sends a task's message: false (and owed) while api.enqueueFailures counts failures left for it. */
  const enqueue = (taskId: string): boolean => {
    const failures = api.enqueueFailures.get(taskId) ?? 0;
    if (failures > 0) {
      api.enqueueFailures.set(taskId, failures - 1);
      api.owed.add(taskId);
      return false;
    }
    api.owed.delete(taskId);
    return true;
  };
  const enqueueFailed = (taskId: string): Answer =>
    errorAnswer(503, 'ENQUEUE_FAILED', `task '${taskId}' was saved but its message could not be queued; submit it again`, { taskId });

  /** POST /tasks/batch as the batch contract has it: the envelope checked as a whole, then one answer per task. */
  const submitBatch = (headers: http.IncomingHttpHeaders, body: string): Answer => {
    const invalid = (field: string, problem: string): Answer =>
      errorAnswer(400, 'VALIDATION_ERROR', `invalid request: ${field} ${problem}`, [{ field, problem }]);
    if (!String(headers['content-type'] ?? '').startsWith('application/json'))
      return errorAnswer(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    const bytes = Buffer.byteLength(body);
    if (bytes > api.maxBodyBytes)
      return errorAnswer(413, 'PAYLOAD_TOO_LARGE', `the body is ${bytes} bytes; at most ${api.maxBodyBytes} are accepted`);
    if (body === '') return invalid('body', 'is required');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return invalid('body', 'must be JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('body', 'must be a JSON object');
    const unknown = Object.keys(parsed).find((k) => k !== 'tasks');
    if (unknown !== undefined) return invalid('body', `has an unknown field '${unknown}'`);
    const tasks = field(parsed, 'tasks');
    if (tasks === undefined) return invalid('tasks', 'is required');
    if (!Array.isArray(tasks)) return invalid('tasks', `must be an array, got ${describeType(tasks)}`);
    if (tasks.length < 1 || tasks.length > 100) return invalid('tasks', `must hold 1 to 100 tasks, got ${tasks.length}`);
    api.batches.push({ tasks, correlationId: headers['x-correlation-id'] as string | undefined, bytes });

    const firstIndex = new Map<string, number>();
    const results = tasks.map((item: unknown, index) => {
      const prefix = `tasks[${index}].`;
      const id = field(item, 'taskId');
      const taskId = typeof id === 'string' && taskIdProblem(id) === undefined ? { taskId: id } : {};
      let answer: Answer;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        const problem = `must be an object, got ${describeType(item)}`;
        answer = errorAnswer(400, 'VALIDATION_ERROR', `invalid request: tasks[${index}] ${problem}`, [
          { field: `tasks[${index}]`, problem },
        ]);
      } else if (taskId.taskId !== undefined && firstIndex.has(taskId.taskId)) {
        const problem = `repeats the taskId of tasks[${firstIndex.get(taskId.taskId)}]`;
        answer = errorAnswer(400, 'VALIDATION_ERROR', `invalid request: ${prefix}taskId ${problem}`, [
          { field: `${prefix}taskId`, problem },
        ]);
      } else {
        if (taskId.taskId !== undefined) firstIndex.set(taskId.taskId, index);
        answer = submitOne(item, prefix);
      }
      const outcome = answer.status < 300 ? { task: answer.body } : (answer.body as object);
      return { index, ...taskId, statusCode: answer.status, ...outcome };
    });
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
    return { status: 200, body: { results, counts }, headers: counts['503'] ? { 'retry-after': '1' } : {} };
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
      if (canned) {
        if (canned.times !== undefined && --canned.times <= 0) api.override.delete(`${recorded.method} ${recorded.path}`);
        return send(res, canned.status, canned.body, canned.headers);
      }

      const taskId = routeMatch[1] === undefined ? undefined : decodeURIComponent(routeMatch[1]);
      const action = routeMatch[2];
      const body = Buffer.concat(chunks).toString('utf8');

      if (req.method === 'POST' && url.pathname === '/tasks/batch') {
        const answer = submitBatch(req.headers, body);
        return send(res, answer.status, answer.body, answer.headers);
      }
      if (req.method === 'POST' && taskId === undefined) {
        const parsed: unknown = JSON.parse(body);
        api.submits.push(parsed);
        const answer = submitOne(parsed, '');
        return send(res, answer.status, answer.body);
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
  options: {
    clock: FakeClock;
    api?: FakeApi;
    env?: Record<string, string | undefined>;
    /** Files readFile finds; '-' is standard input. */
    files?: Record<string, string>;
    stderrIsTTY?: boolean;
  },
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
    stderrIsTTY: options.stderrIsTTY,
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
