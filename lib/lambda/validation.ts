import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type FieldProblem } from '../domain/errors';
import { knownTypes, type SubmitRequest } from '../app/submit';
import { TASK_STATUSES, type TaskStatus } from '../domain/task';
import { describeType, taskIdProblem } from '../domain/taskId';
import type { RegisteredType, TaskTypeRegistry } from '../types/registry';

/** Deepest nesting accepted in a payload (objects and arrays). */
export const MAX_PAYLOAD_DEPTH = 32;
/** Keys refused anywhere in a payload: they reach prototypes when code merges objects. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export interface RawHttpRequest {
  headers?: Record<string, string | undefined> | null;
  /** A string from API Gateway; local emulators have passed booleans and numbers, so anything is taken. */
  body?: unknown;
  isBase64Encoded?: boolean;
}

/** The body's text: API Gateway passes a string; any other value is the JSON it was parsed from. */
function bodyText(request: RawHttpRequest): string {
  const { body } = request;
  if (body === undefined || body === null) return '';
  if (typeof body !== 'string') return JSON.stringify(body) ?? '';
  return request.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

function header(headers: RawHttpRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/** Throws ValidationError unless taskId is valid (used for path parameters too). */
export function assertTaskId(taskId: unknown, field = 'taskId'): asserts taskId is string {
  const problem = taskIdProblem(taskId);
  if (problem) throw new ValidationError(`${field} ${problem}`, [{ field, problem }]);
}

function payloadProblems(value: unknown, path: string, depth: number, problems: FieldProblem[]): void {
  if (problems.length >= 10) return;
  if (typeof value === 'string') {
    if (!value.isWellFormed()) problems.push({ field: path, problem: 'contains an unpaired UTF-16 surrogate' });
    return;
  }
  // JSON.parse turns 1e400 into Infinity, which would be stored as null: a different value.
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      problems.push({ field: path, problem: 'is a number too large for a double (it would not survive storage)' });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_PAYLOAD_DEPTH) {
    problems.push({ field: path, problem: `nests deeper than ${MAX_PAYLOAD_DEPTH} levels` });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => payloadProblems(item, `${path}[${index}]`, depth + 1, problems));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyPath = `${path}.${key}`;
    if (FORBIDDEN_KEYS.includes(key)) problems.push({ field: keyPath, problem: `key '${key}' is not allowed` });
    else if (!key.isWellFormed()) problems.push({ field: path, problem: 'has a key with an unpaired UTF-16 surrogate' });
    else payloadProblems(item, keyPath, depth + 1, problems);
  }
}

/**
 * Parses and validates a POST /tasks request: media type (415), size (413),
 * JSON syntax, fields and payload shape (400). Nothing is written before this passes.
 */
export function parseSubmitRequest(request: RawHttpRequest, maxBodyBytes: number, types: TaskTypeRegistry): SubmitRequest {
  const contentType = header(request.headers, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (!mediaType || !(mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType))) {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json, got ${contentType ? `'${contentType}'` : 'none'}`, {
      context: { contentType },
    });
  }
  const text = bodyText(request);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBodyBytes) throw new PayloadTooLargeError(size, maxBodyBytes);
  if (text.trim() === '')
    throw new ValidationError('request body is empty; expected a JSON object', [{ field: 'body', problem: 'is empty' }]);

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const problem = `is not valid JSON: ${(error as Error).message}`;
    throw new ValidationError(`request body ${problem}`, [{ field: 'body', problem }]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const problem = `must be a JSON object, got ${describeType(body)}`;
    throw new ValidationError(`request body ${problem}`, [{ field: 'body', problem }]);
  }

  const fields = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(fields)) {
    if (!SUBMIT_FIELDS.includes(key)) problems.push({ field: key, problem: `is not a known field (expected ${SUBMIT_FIELDS.join(', ')})` });
  }
  if (!('taskId' in fields)) problems.push({ field: 'taskId', problem: 'is required' });
  else {
    const problem = taskIdProblem(fields.taskId);
    if (problem) problems.push({ field: 'taskId', problem });
  }
  if (!('payload' in fields)) problems.push({ field: 'payload', problem: 'is required' });
  else if (fields.payload === null || typeof fields.payload !== 'object' || Array.isArray(fields.payload)) {
    problems.push({ field: 'payload', problem: `must be a JSON object, got ${describeType(fields.payload)}` });
  } else payloadProblems(fields.payload, 'payload', 1, problems);
  const type = typeOf(fields, types, problems);
  if (fields.delaySeconds !== undefined) {
    const d = fields.delaySeconds;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_START_DELAY_SECONDS)
      problems.push({ field: 'delaySeconds', problem: `must be an integer from 0 to ${MAX_START_DELAY_SECONDS}, got ${describeType(d)}` });
  }
  // The type's own checks (e.g. a webhook's URL) run on a payload of the right shape only.
  if (type?.validate && problems.length === 0) problems.push(...type.validate(fields.payload as Record<string, unknown>));

  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.field} ${p.problem}`).join('; ');
    throw new ValidationError(`invalid request: ${summary}`, problems);
  }
  return {
    taskId: fields.taskId as string,
    payload: fields.payload as Record<string, unknown>,
    ...(fields.type !== undefined && type ? { type: type.name } : {}),
    ...(typeof fields.delaySeconds === 'number' ? { delaySeconds: fields.delaySeconds } : {}),
  };
}

/** Fields a POST /tasks body may hold. */
const SUBMIT_FIELDS: readonly string[] = ['taskId', 'payload', 'type', 'delaySeconds'];
/** Longest delayed start: SQS's largest DelaySeconds. */
export const MAX_START_DELAY_SECONDS = 900;

/** The registered type a body names (undefined when it names none or a wrong one, which adds a problem). */
function typeOf(fields: Record<string, unknown>, types: TaskTypeRegistry, problems: FieldProblem[]): RegisteredType | undefined {
  if (fields.type === undefined) return types.get(types.defaultType);
  const known = knownTypes({ types });
  if (typeof fields.type !== 'string') {
    problems.push({ field: 'type', problem: `${known} (got ${describeType(fields.type)})` });
    return undefined;
  }
  const type = types.get(fields.type);
  if (!type) problems.push({ field: 'type', problem: known });
  return type;
}

/** The taskId path parameter, URL-decoded when the gateway passed it encoded. */
export function pathTaskId(event: { pathParameters?: Record<string, string | undefined> | null }): string | undefined {
  const raw = event.pathParameters?.taskId;
  if (raw === undefined || !raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export interface ListQuery {
  status: TaskStatus;
  limit: number;
  cursor?: string;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** Parses GET /tasks query parameters: status (required), limit (1-100, default 20), cursor. */
export function parseListQuery(query: Record<string, string | undefined> | null | undefined): ListQuery {
  const q = query ?? {};
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(q)) {
    if (!['status', 'limit', 'cursor'].includes(key))
      problems.push({ field: key, problem: 'is not a known query parameter (expected status, limit, cursor)' });
  }
  const status = q.status;
  if (status === undefined || status === '')
    problems.push({ field: 'status', problem: `is required (one of ${TASK_STATUSES.join(', ')})` });
  else if (!(TASK_STATUSES as readonly string[]).includes(status))
    problems.push({ field: 'status', problem: `must be one of ${TASK_STATUSES.join(', ')}` });
  let limit = DEFAULT_LIST_LIMIT;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!/^\d+$/.test(q.limit) || limit < 1 || limit > MAX_LIST_LIMIT)
      problems.push({ field: 'limit', problem: `must be an integer from 1 to ${MAX_LIST_LIMIT}` });
  }
  if (q.cursor !== undefined && !/^[A-Za-z0-9_-]{1,2048}$/.test(q.cursor))
    problems.push({ field: 'cursor', problem: 'is not a cursor returned by this API' });
  if (problems.length > 0)
    throw new ValidationError(`invalid query: ${problems.map((p) => `${p.field} ${p.problem}`).join('; ')}`, problems);
  return { status: status as TaskStatus, limit, ...(q.cursor ? { cursor: q.cursor } : {}) };
}

/** Pattern of a caller-supplied X-Correlation-Id (anything else is ignored and a new id issued). */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The caller's X-Correlation-Id header when it is safe to log, else undefined. */
export function correlationIdOf(request: RawHttpRequest): string | undefined {
  const value = header(request.headers, 'x-correlation-id');
  return value !== undefined && CORRELATION_ID_PATTERN.test(value) ? value : undefined;
}
