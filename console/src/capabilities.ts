/**
 * What the API this console talks to can do, read from its own description
 * (GET /openapi.json): the statuses to show as tabs, whether tasks can be cancelled or
 * submitted many at once, and which optional fields a submit takes. Routes and fields that other versions of the API
 * add appear without a change here; without the description, today's API is assumed.
 */
export interface Capabilities {
  /** Every status, in the description's order: one tab each. */
  statuses: string[];
  /** The unfinished statuses, whose counts are cheap (few tasks, one index partition). */
  counted: string[];
  /** POST /tasks/{taskId}/cancel exists. */
  canCancel: boolean;
  /** POST /tasks/batch exists: the submit page offers "Submit many". */
  canSubmitMany: boolean;
  /** The optional `type` field of a submit, with its allowed values when the description lists them. */
  taskType?: { values?: string[]; default?: string };
  /** The optional `delaySeconds` field of a submit, with its bounds when the description gives them. */
  delaySeconds?: { minimum?: number; maximum?: number };
}

/** Statuses a task does not leave on its own; listing them can be long, so they get no count. */
export const FINISHED_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

const TODAY = ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'SUCCEEDED', 'DEAD_LETTERED', 'FAILED', 'CANCELLED'];

/** Today's API, for when the description cannot be read. */
export const DEFAULT_CAPABILITIES: Capabilities = {
  statuses: TODAY,
  counted: TODAY.filter((status) => !FINISHED_STATUSES.includes(status)),
  canCancel: false,
  canSubmitMany: false,
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows a local `$ref` (`#/components/...`) of the description, once or more. */
function resolve(spec: Json, value: unknown, depth = 0): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string' || depth > 10) return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), spec);
  return resolve(spec, target, depth + 1);
}

const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;

/** The capabilities an OpenAPI description declares. */
export function capabilitiesOf(spec: unknown): Capabilities {
  if (!isObject(spec) || !isObject(spec.paths)) return DEFAULT_CAPABILITIES;
  const components = isObject(spec.components) ? spec.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const statusSchema = resolve(spec, schemas.TaskStatus);
  const statuses = (isObject(statusSchema) && strings(statusSchema.enum)) || DEFAULT_CAPABILITIES.statuses;
  const cancel = spec.paths['/tasks/{taskId}/cancel'];
  const batch = spec.paths['/tasks/batch'];
  const submit = resolve(spec, spec.paths['/tasks']);
  const post = isObject(submit) && isObject(submit.post) ? submit.post : {};
  const body = resolve(spec, post.requestBody);
  const content = isObject(body) && isObject(body.content) ? body.content['application/json'] : undefined;
  const schema = resolve(spec, isObject(content) ? content.schema : undefined);
  const properties = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  const type = resolve(spec, properties.type);
  const delay = resolve(spec, properties.delaySeconds);
  return {
    statuses,
    counted: statuses.filter((status) => !FINISHED_STATUSES.includes(status)),
    canCancel: isObject(cancel) && isObject(cancel.post),
    canSubmitMany: isObject(batch) && isObject(batch.post),
    ...(isObject(type)
      ? {
          taskType: {
            ...(strings(type.enum) ? { values: strings(type.enum) } : {}),
            ...(typeof type.default === 'string' ? { default: type.default } : {}),
          },
        }
      : {}),
    ...(isObject(delay)
      ? {
          delaySeconds: {
            ...(number(delay.minimum) !== undefined ? { minimum: number(delay.minimum) } : {}),
            ...(number(delay.maximum) !== undefined ? { maximum: number(delay.maximum) } : {}),
          },
        }
      : {}),
  };
}
