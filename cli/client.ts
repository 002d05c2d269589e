/**
 * Typed client of the task HTTP API: one function per route, every failure a
 * typed error carrying the HTTP status and the API's error code.
 */
import { z } from 'zod';
import { TaskStatusSchema, TaskSummarySchema, TaskViewSchema, type TaskStatus, type TaskView } from '../lib/domain/task';

export type { TaskEvent, TaskStatus, TaskSummary, TaskView } from '../lib/domain/task';

/** One page of GET /tasks?status=... */
const TaskPageSchema = z.object({ status: TaskStatusSchema, tasks: z.array(TaskSummarySchema), cursor: z.string().nullable() });
export type TaskPage = z.infer<typeof TaskPageSchema>;

/** The `details` of a 400: one problem per field. */
export interface FieldProblem {
  field: string;
  problem: string;
}

export interface ClientOptions {
  /** Base URL of the API, including the stage path of a deployed API (`https://x.execute-api.../dev`). */
  baseUrl: string;
  apiKey?: string;
  /** Injected in tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

/** Base of every error the client raises. */
export class ClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The API could not be reached: connection refused, DNS, TLS, timeout. */
export class ConnectionError extends ClientError {
  constructor(
    readonly url: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`cannot reach ${url}: ${reason}`, { cause });
  }
}

/** The API answered with an error status. */
export class ApiError extends ClientError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly method: string,
    readonly url: string,
    /** Seconds the API asked to wait before trying again (a Retry-After header), when it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** The `details` of a validation error as field problems (empty for other errors). */
  get fieldProblems(): FieldProblem[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      (d): d is FieldProblem => typeof d === 'object' && d !== null && typeof d.field === 'string' && typeof d.problem === 'string',
    );
  }
}

/** 403 from the gateway: the API key is missing or not accepted. */
export class AuthError extends ApiError {}
/** 404 TASK_NOT_FOUND: no task has this taskId. */
export class TaskNotFoundError extends ApiError {}
/**
 * 409: a different payload or type for an existing taskId, a redrive of a task that is not FAILED or
 * CANCELLED, a cancel of a task that is not waiting in the queue.
 */
export class ConflictError extends ApiError {}
/** 400, 413, 415: the API refused the input. */
export class InvalidInputError extends ApiError {}
/**
 * The URL answers but is not this API: a 404 without the API's error body
 * (serverless-offline's "route not found") or API Gateway's 403
 * "Missing Authentication Token" for an unknown path (usually a missing stage).
 */
export class NotThisApiError extends ApiError {}
/** 5xx: the API failed; retrying may help. */
export class ServerError extends ApiError {}

/** A string field, or undefined when absent or of another type. */
const optionalString = z.string().optional().catch(undefined);

/**
 * What an error answer may hold: the API's {error: {code, message, details}}, API Gateway's
 * {message}, serverless-offline's {error: "...route not found."}; anything else holds nothing.
 */
const ErrorBodySchema = z
  .object({
    error: z
      .union([z.object({ code: optionalString, message: optionalString, details: z.unknown() }), z.string()])
      .optional()
      .catch(undefined),
    message: optionalString,
  })
  .catch({});

function errorFor(method: string, url: string, status: number, body: unknown, bodyText: string, retryAfterSeconds?: number): ApiError {
  const b = ErrorBodySchema.parse(body);
  const apiError = typeof b.error === 'object' ? b.error : undefined;
  const code = apiError?.code ?? `HTTP_${status}`;
  const gatewayMessage = b.message ?? (typeof b.error === 'string' ? b.error : undefined);
  const message = apiError?.message ?? gatewayMessage ?? (bodyText.trim().slice(0, 200) || `HTTP ${status}`);
  const details = apiError?.details;
  const args = [status, code, message, details, method, url, retryAfterSeconds] as const;
  if (status === 403 && gatewayMessage === 'Missing Authentication Token') return new NotThisApiError(...args);
  if (status === 401 || status === 403) return new AuthError(...args);
  if (status === 404) return apiError ? new TaskNotFoundError(...args) : new NotThisApiError(...args);
  if (status === 409) return new ConflictError(...args);
  if (status === 400 || status === 413 || status === 415) return new InvalidInputError(...args);
  if (status >= 500) return new ServerError(...args);
  return new ApiError(...args);
}

/**
 * The seconds of a Retry-After header in its delay-seconds form (what the API sends); undefined when
 * absent or an HTTP date, which the callers' own backoff then covers.
 */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header);
}

/** What fetch's errors carry: a name, a message, and a cause with a system error code (undici). */
const FetchFailureSchema = z
  .object({
    name: optionalString,
    message: optionalString,
    cause: z.object({ code: optionalString, message: optionalString }).optional().catch(undefined),
  })
  .catch({});

function describeFetchFailure(error: unknown): string {
  const e = FetchFailureSchema.parse(error);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'the request timed out';
  const code = e.cause?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  };
  if (code && reasons[code]) return `${reasons[code]} (${code})`;
  return e.cause?.message ?? e.message ?? String(error);
}

/**
 * One task of POST /tasks/batch: {taskId, payload, type?, delaySeconds?}. A line of `tasks submit --file`
 * is sent as it was read, so the API's per-task 400 names what is wrong with it.
 */
export type BatchTask = Record<string, unknown>;

/** The largest batch POST /tasks/batch takes. */
export const MAX_BATCH_TASKS = 100;

const ApiErrorBodySchema = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

/** One task's answer in a batch: 202 new or 200 already there with the task, or its own error. */
const BatchItemSchema = z.union([
  z.object({ index: z.number().int(), taskId: z.string(), statusCode: z.literal([200, 202]), task: TaskViewSchema }),
  z.object({ index: z.number().int(), taskId: z.string().optional(), statusCode: z.number().int(), error: ApiErrorBodySchema }),
]);
export type BatchItem = z.infer<typeof BatchItemSchema>;

/** The 200 of POST /tasks/batch: one result per task in request order, and how many had each status code. */
const BatchResponseSchema = z
  .object({ results: z.array(BatchItemSchema), counts: z.record(z.string(), z.number().int()) })
  .refine((r) => r.results.every((item, i) => item.index === i), { message: 'results must be one per task, in request order' });
export type BatchResponse = z.infer<typeof BatchResponseSchema> & {
  /** From the Retry-After header, sent when some item is 503. */
  retryAfterSeconds?: number;
};

export class TasksClient {
  readonly baseUrl: string;
  private readonly apiKey?: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** True when requests carry an API key. */
  get hasApiKey(): boolean {
    return Boolean(this.apiKey);
  }

  /**
   * POST /tasks: `created` is true for 202 (new task), false for 200 (same taskId, payload and type again).
   * `type` and `delaySeconds` are sent only when given (the API's defaults: the default type, no delay).
   */
  async submit(
    taskId: string,
    payload: unknown,
    options: { type?: string; delaySeconds?: number } = {},
  ): Promise<{ created: boolean; task: TaskView }> {
    const { type, delaySeconds } = options;
    const request = { taskId, payload, ...(type !== undefined ? { type } : {}), ...(delaySeconds !== undefined ? { delaySeconds } : {}) };
    const { status, body } = await this.request('POST', '/tasks', TaskViewSchema, request);
    return { created: status === 202, task: body };
  }

  /**
   * POST /tasks/batch: 1 to MAX_BATCH_TASKS tasks, one result each. A whole-request error (400, 413,
   * 415, 429, 5xx) is thrown as for the other routes; per-task errors are results.
   */
  async submitBatch(tasks: readonly BatchTask[], options: { correlationId?: string } = {}): Promise<BatchResponse> {
    const headers: Record<string, string> = options.correlationId ? { 'x-correlation-id': options.correlationId } : {};
    const { status, body, retryAfter } = await this.request('POST', '/tasks/batch', BatchResponseSchema, { tasks }, headers);
    if (body.results.length !== tasks.length) {
      const message = `POST /tasks/batch answered ${body.results.length} results for ${tasks.length} tasks`;
      throw new ApiError(status, 'BAD_RESPONSE', message, undefined, 'POST', `${this.baseUrl}/tasks/batch`);
    }
    return { ...body, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) };
  }

  /** GET /tasks/{taskId}. */
  async get(taskId: string): Promise<TaskView> {
    return (await this.request('GET', `/tasks/${encodeURIComponent(taskId)}`, TaskViewSchema)).body;
  }

  /** GET /tasks?status=...: one page, newest first; `cursor` is null on the last page. */
  async list(query: { status: TaskStatus; limit?: number; cursor?: string }): Promise<TaskPage> {
    const params = new URLSearchParams({ status: query.status });
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    return (await this.request('GET', `/tasks?${params}`, TaskPageSchema)).body;
  }

  /** Every page of a listing, following cursors. */
  async *listAll(query: { status: TaskStatus; limit?: number }): AsyncGenerator<TaskPage> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, cursor });
      yield page;
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }

  /** POST /tasks/{taskId}/redrive: FAILED or CANCELLED back to QUEUED; ConflictError from any other status. */
  async redrive(taskId: string): Promise<TaskView> {
    return (await this.request('POST', `/tasks/${encodeURIComponent(taskId)}/redrive`, TaskViewSchema)).body;
  }

  /** POST /tasks/{taskId}/cancel: QUEUED or RETRY_SCHEDULED to CANCELLED (a CANCELLED task as it is); ConflictError otherwise. */
  async cancel(taskId: string): Promise<TaskView> {
    return (await this.request('POST', `/tasks/${encodeURIComponent(taskId)}/cancel`, TaskViewSchema)).body;
  }

  /** One request; a success's body must be JSON that `schema` accepts, else ApiError BAD_RESPONSE. */
  protected async request<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    json?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ status: number; body: T; retryAfter?: number }> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'tasks-cli', ...extraHeaders };
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    if (json !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new ConnectionError(this.baseUrl, describeFetchFailure(error), error);
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
    if (!response.ok) throw errorFor(method, url, response.status, body, text, retryAfter);
    if (body === undefined) {
      throw new ApiError(
        response.status,
        'BAD_RESPONSE',
        `expected a JSON body from ${method} ${url}, got: ${text.slice(0, 200) || '(empty)'}`,
        undefined,
        method,
        url,
      );
    }
    const result = schema.safeParse(body);
    if (!result.success) {
      const [issue] = result.error.issues;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new ApiError(
        response.status,
        'BAD_RESPONSE',
        `unexpected JSON from ${method} ${url}: ${where}${issue.message}`,
        undefined,
        method,
        url,
      );
    }
    return { status: response.status, body: result.data, retryAfter };
  }
}
