import type { z } from 'zod';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type FieldProblem } from '../domain/errors';
import type { SubmitRequest } from '../app/submit';
import { taskIdProblem } from '../domain/taskId';
import { BatchEnvelopeSchema, fieldProblems, ListQuerySchema, submitBodySchema } from './schemas';
import type { BatchItem } from '../app/submitBatch';
import { isJsonObject } from '../domain/json';
import type { TaskTypeRegistry } from '../types/registry';

export { MAX_PAYLOAD_DEPTH } from './schemas';

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

/** The JSON of a request body: media type (415), size (413), then JSON syntax (400). */
function parseJsonBody(request: RawHttpRequest, maxBodyBytes: number): unknown {
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
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
    throw new ValidationError(`request body ${problem}`, [{ field: 'body', problem }]);
  }
}

/** One task's body checked by the POST /tasks schema; problems are named under `root`. */
function checkTask(body: unknown, types: TaskTypeRegistry, root: string): SubmitRequest | FieldProblem[] {
  const result = submitBodySchema(types).safeParse(body);
  if (result.success) {
    const { taskId, payload, type, delaySeconds } = result.data;
    return { taskId, payload, ...(type !== undefined ? { type } : {}), ...(delaySeconds !== undefined ? { delaySeconds } : {}) };
  }
  return fieldProblems(result.error.issues, root);
}

/**
 * Parses and validates a POST /tasks request: media type (415), size (413),
 * JSON syntax, fields and payload shape (400). Nothing is written before this passes.
 */
export function parseSubmitRequest(request: RawHttpRequest, maxBodyBytes: number, types: TaskTypeRegistry): SubmitRequest {
  const checked = checkTask(parseJsonBody(request, maxBodyBytes), types, 'body');
  if (!Array.isArray(checked)) return checked;
  if (checked[0].field === 'body') throw new ValidationError(`request body ${checked[0].problem}`, checked);
  throw invalid('request', checked);
}

/**
 * Parses a POST /tasks/batch request. The envelope (415, 413, JSON, `{"tasks": [1-100 tasks]}`)
 * is all or nothing: a ValidationError for the whole request. Each task is then checked on its
 * own as POST /tasks checks one (problems named `tasks[i].field`), and a taskId that repeats an
 * earlier task of the batch is refused for that task.
 */
export function parseBatchRequest(request: RawHttpRequest, maxBodyBytes: number, types: TaskTypeRegistry): BatchItem[] {
  const envelope = BatchEnvelopeSchema.safeParse(parseJsonBody(request, maxBodyBytes));
  if (!envelope.success) {
    const problems = fieldProblems(envelope.error.issues, 'body');
    if (problems[0].field === 'body') throw new ValidationError(`request body ${problems[0].problem}`, problems);
    throw invalid('request', problems);
  }
  const firstIndex = new Map<string, number>();
  return envelope.data.tasks.map((body, index): BatchItem => {
    const root = `tasks[${index}]`;
    const rawId = isJsonObject(body) ? body.taskId : undefined;
    const taskId = taskIdProblem(rawId) === undefined ? (rawId as string) : undefined;
    const withId = taskId !== undefined ? { taskId } : {};
    if (taskId !== undefined) {
      const first = firstIndex.get(taskId);
      if (first !== undefined) {
        const problem = `repeats tasks[${first}].taskId '${taskId}'; a batch holds each taskId once`;
        return { index, ...withId, error: new ValidationError(`${root}.taskId ${problem}`, [{ field: `${root}.taskId`, problem }]) };
      }
      firstIndex.set(taskId, index);
    }
    const checked = checkTask(body, types, root);
    if (!Array.isArray(checked)) return { index, request: checked };
    const problems = checked.map((p) => (p.field === root ? p : { ...p, field: `${root}.${p.field}` }));
    const error = problems[0].field === root ? new ValidationError(`${root} ${problems[0].problem}`, problems) : invalid(root, problems);
    return { index, ...withId, error };
  });
}

/** The 400 of a request whose fields broke the schema: the summary names every problem. */
function invalid(what: string, problems: FieldProblem[]): ValidationError {
  return new ValidationError(`invalid ${what}: ${problems.map((p) => `${p.field} ${p.problem}`).join('; ')}`, problems);
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

export type ListQuery = z.output<typeof ListQuerySchema>;

/** Parses GET /tasks query parameters: status (required), limit (1-100, default 20), cursor. */
export function parseListQuery(query: Record<string, string | undefined> | null | undefined): ListQuery {
  const result = ListQuerySchema.safeParse(query ?? {});
  if (!result.success) throw invalid('query', fieldProblems(result.error.issues, 'query'));
  const { status, limit, cursor } = result.data;
  return { status, limit, ...(cursor ? { cursor } : {}) };
}

/** Pattern of a caller-supplied X-Correlation-Id (anything else is ignored and a new id issued). */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The caller's X-Correlation-Id header when it is safe to log, else undefined. */
export function correlationIdOf(request: RawHttpRequest): string | undefined {
  const value = header(request.headers, 'x-correlation-id');
  return value !== undefined && CORRELATION_ID_PATTERN.test(value) ? value : undefined;
}
