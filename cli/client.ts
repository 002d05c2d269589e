/**
 * Typed client of the task HTTP API: one function per route, every failure a
 * typed error carrying the HTTP status and the API's error code.
 */
import type { TaskStatus, TaskSummary, TaskView } from '../lib/domain/task';

export type { TaskEvent, TaskStatus, TaskSummary, TaskView } from '../lib/domain/task';

/** One page of GET /tasks?status=... */
export interface TaskPage {
  status: TaskStatus;
  tasks: TaskSummary[];
  cursor: string | null;
}

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
/** 409: a different payload for an existing taskId, or a redrive of a task that is not FAILED. */
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

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown } | string;
  message?: unknown;
}

function errorFor(method: string, url: string, status: number, body: unknown, text: string): ApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const apiError = typeof b.error === 'object' && b.error !== null ? b.error : undefined;
  const code = typeof apiError?.code === 'string' ? apiError.code : `HTTP_${status}`;
  // API Gateway answers {"message": ...}; serverless-offline's unknown route {"error": "...route not found."}.
  const gatewayMessage = typeof b.message === 'string' ? b.message : typeof b.error === 'string' ? b.error : undefined;
  const message =
    typeof apiError?.message === 'string' ? apiError.message : (gatewayMessage ?? (text.trim().slice(0, 200) || `HTTP ${status}`));
  const details = apiError?.details;
  const args = [status, code, message, details, method, url] as const;
  if (status === 403 && gatewayMessage === 'Missing Authentication Token') return new NotThisApiError(...args);
  if (status === 401 || status === 403) return new AuthError(...args);
  if (status === 404) return apiError ? new TaskNotFoundError(...args) : new NotThisApiError(...args);
  if (status === 409) return new ConflictError(...args);
  if (status === 400 || status === 413 || status === 415) return new InvalidInputError(...args);
  if (status >= 500) return new ServerError(...args);
  return new ApiError(...args);
}

function describeFetchFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'the request timed out';
  const code = e?.cause?.code;
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
  return e?.cause?.message ?? e?.message ?? String(error);
}

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

  /** POST /tasks: `created` is true for 202 (new task), false for 200 (same taskId and payload again). */
  async submit(taskId: string, payload: unknown): Promise<{ created: boolean; task: TaskView }> {
    const { status, body } = await this.request<TaskView>('POST', '/tasks', { taskId, payload });
    return { created: status === 202, task: body };
  }

  /** GET /tasks/{taskId}. */
  async get(taskId: string): Promise<TaskView> {
    return (await this.request<TaskView>('GET', `/tasks/${encodeURIComponent(taskId)}`)).body;
  }

  /** GET /tasks?status=...: one page, newest first; `cursor` is null on the last page. */
  async list(query: { status: TaskStatus; limit?: number; cursor?: string }): Promise<TaskPage> {
    const params = new URLSearchParams({ status: query.status });
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    return (await this.request<TaskPage>('GET', `/tasks?${params}`)).body;
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

  /** POST /tasks/{taskId}/redrive: FAILED back to QUEUED; ConflictError when the task is not FAILED. */
  async redrive(taskId: string): Promise<TaskView> {
    return (await this.request<TaskView>('POST', `/tasks/${encodeURIComponent(taskId)}/redrive`)).body;
  }

  protected async request<T>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'tasks-cli' };
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
    if (!response.ok) throw errorFor(method, url, response.status, body, text);
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
    return { status: response.status, body: body as T };
  }
}
