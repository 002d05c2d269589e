/**
 * The HTTP contracts as zod schemas: the POST /tasks body and the GET /tasks query. Each rule's
 * message is the `problem` of the 400's `details` entry; `fieldProblems` turns zod's issues into
 * those entries, the one place that does.
 */
import { z } from 'zod';
import type { FieldProblem } from '../domain/errors';
import { isJsonObject } from '../domain/json';
import { TASK_STATUSES } from '../domain/task';
import { describeType, taskIdProblem } from '../domain/taskId';
import { knownTypes } from '../app/submit';
import type { TaskTypeRegistry } from '../types/registry';

/** Deepest nesting accepted in a payload (objects and arrays). */
export const MAX_PAYLOAD_DEPTH = 32;
/** Keys refused anywhere in a payload: they reach prototypes when code merges objects. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
/** Once this many problems are reported, the payload is not searched any deeper. */
const MAX_PROBLEMS = 10;

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** JSON has no undefined: a field's schema sees undefined only when the field is absent. */
const absent = (issue: { input?: unknown }) => issue.input === undefined;

const notAnObject = (value: unknown) => `must be a JSON object, got ${describeType(value)}`;

// abort: false lets the payload rules run after a bad field (zod's custom schemas abort by default).
const TaskIdField = z.custom<string>((value) => taskIdProblem(value) === undefined, {
  error: (issue) => (absent(issue) ? 'is required' : taskIdProblem(issue.input)),
  abort: false,
});

const PayloadField = z.custom<Record<string, unknown>>(isJsonObject, {
  error: (issue) => (absent(issue) ? 'is required' : notAnObject(issue.input)),
  abort: false,
});

type Path = (string | number)[];

/** Reports what JSON.parse gave that storage or a consumer would not hand back the same: depth, lone surrogates, forbidden keys, non-finite numbers. */
function payloadRules(payload: Record<string, unknown>, ctx: z.RefinementCtx, reported: number): void {
  let count = reported;
  const report = (path: Path, problem: string) => {
    count += 1;
    ctx.addIssue({ code: 'custom', path, message: problem });
  };
  const visit = (value: unknown, path: Path, depth: number): void => {
    if (count >= MAX_PROBLEMS) return;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) report(path, 'contains an unpaired UTF-16 surrogate');
      return;
    }
    // JSON.parse turns 1e400 into Infinity, which would be stored as null: a different value.
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) report(path, 'is a number too large for a double (it would not survive storage)');
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth > MAX_PAYLOAD_DEPTH) {
      report(path, `nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index], depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.includes(key)) report([...path, key], `key '${key}' is not allowed`);
      else if (!key.isWellFormed()) report(path, 'has a key with an unpaired UTF-16 surrogate');
      else visit(item, [...path, key], depth + 1);
    }
  };
  visit(payload, ['payload'], 1);
}

/** How many `details` entries the issues make (one per unknown key). */
const problemCount = (issues: readonly z.core.$ZodRawIssue[]) =>
  issues.reduce((n, issue) => n + (issue.code === 'unrecognized_keys' ? issue.keys.length : 1), 0);

/** Longest delayed start: SQS's largest DelaySeconds. */
export const MAX_START_DELAY_SECONDS = 900;
/** Fields a POST /tasks body may hold. */
const SUBMIT_FIELDS = ['taskId', 'payload', 'type', 'delaySeconds'];

const DelayField = z
  .custom<number>((value) => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_START_DELAY_SECONDS, {
    error: (issue) =>
      `must be an integer from 0 to ${MAX_START_DELAY_SECONDS}, got ${typeof issue.input === 'number' ? issue.input : describeType(issue.input)}`,
    abort: false,
  })
  .optional();

function buildSubmitBodySchema(types: TaskTypeRegistry) {
  const known = knownTypes({ types });
  const TypeField = z
    .custom<string>((value) => typeof value === 'string' && types.get(value) !== undefined, {
      error: (issue) => (typeof issue.input === 'string' ? known : `${known} (got ${describeType(issue.input)})`),
      abort: false,
    })
    .optional();
  return z
    .strictObject(
      { taskId: TaskIdField, payload: PayloadField, type: TypeField, delaySeconds: DelayField },
      {
        error: (issue) =>
          issue.code === 'unrecognized_keys' ? `is not a known field (expected ${SUBMIT_FIELDS.join(', ')})` : notAnObject(issue.input),
      },
    )
    .superRefine((body, ctx) => payloadRules(body.payload, ctx, problemCount(ctx.issues)), {
      // Also when the taskId or unknown fields failed: the answer names every problem at once.
      when: ({ value }) => isJsonObject(value) && isJsonObject(value.payload),
    })
    .superRefine(
      (body, ctx) => {
        // The type's own checks (e.g. a webhook's URL), on a body that is otherwise valid.
        for (const { field, problem } of types.get(body.type ?? types.defaultType)?.validate?.(body.payload) ?? [])
          ctx.addIssue({ code: 'custom', path: field.split('.'), message: problem });
      },
      { when: ({ issues }) => issues.length === 0 },
    );
}

const submitBodySchemas = new WeakMap<TaskTypeRegistry, ReturnType<typeof buildSubmitBodySchema>>();

/**
 * The POST /tasks body: exactly taskId (lib/domain/taskId.ts rules), a payload object within the
 * payload rules, an optional registered type (whose own payload checks then run) and an optional
 * delayed start. Built once per registry.
 */
export function submitBodySchema(types: TaskTypeRegistry) {
  let schema = submitBodySchemas.get(types);
  if (!schema) submitBodySchemas.set(types, (schema = buildSubmitBodySchema(types)));
  return schema;
}

/** Most tasks one POST /tasks/batch takes (its body is held to the single submit's size limit too). */
export const MAX_BATCH_TASKS = 100;
const TASKS_PROBLEM = `must be an array of 1 to ${MAX_BATCH_TASKS} tasks`;

/** The POST /tasks/batch envelope: exactly `tasks`, 1-100 items; each item is checked on its own by submitBodySchema. */
export const BatchEnvelopeSchema = z.strictObject(
  {
    tasks: z
      .array(z.unknown(), {
        error: (issue) => (absent(issue) ? `is required (${TASKS_PROBLEM})` : `${TASKS_PROBLEM}, got ${describeType(issue.input)}`),
      })
      .min(1, `${TASKS_PROBLEM}, got none`)
      .max(MAX_BATCH_TASKS, { error: (issue) => `${TASKS_PROBLEM}, got ${(issue.input as unknown[]).length}` }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'is not a known field (expected tasks)' : notAnObject(issue.input)) },
);

const STATUSES = TASK_STATUSES.join(', ');
const LIMIT_PROBLEM = `must be an integer from 1 to ${MAX_LIST_LIMIT}`;

/** The GET /tasks query: status (required), limit (1-100, default 20), cursor (URL-safe base64). */
export const ListQuerySchema = z.strictObject(
  {
    status: z.enum(TASK_STATUSES, {
      error: (issue) => (absent(issue) || issue.input === '' ? `is required (one of ${STATUSES})` : `must be one of ${STATUSES}`),
    }),
    limit: z
      .string()
      .regex(/^\d+$/, LIMIT_PROBLEM)
      .transform(Number)
      .pipe(z.number().min(1, LIMIT_PROBLEM).max(MAX_LIST_LIMIT, LIMIT_PROBLEM))
      .default(DEFAULT_LIST_LIMIT),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,2048}$/, 'is not a cursor returned by this API')
      .optional(),
  },
  { error: 'is not a known query parameter (expected status, limit, cursor)' },
);

/** A field's name as the API reports it: `payload.items[1].sku`; the whole input is `root`. */
function fieldName(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/**
 * zod's issues as the `details` of a 400, each issue's message being the problem. Unknown fields
 * come first, one entry each, then the others in the order of the schema's fields.
 */
export function fieldProblems(issues: readonly z.core.$ZodIssue[], root: string): FieldProblem[] {
  const unknown = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldName([...issue.path, key], root), problem: issue.message }))
      : [],
  );
  const others = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? [] : [{ field: fieldName(issue.path, root), problem: issue.message }],
  );
  return [...unknown, ...others];
}
