/**
 * The API contract as a test helper: every HTTP response a suite receives (e2e, the bad-input
 * corpus, the browser tests) goes through expectResponseInSpec, which fails unless openapi.yaml
 * allows it: the status must be one the route lists, the body must match that response's
 * schema for its Content-Type (JSON Schema 2020-12, which OpenAPI 3.1 uses, by ajv), and every
 * required header must be there and match. A request no path and method of the spec serves is
 * held to the document's `x-unrouted-responses` (API Gateway's own 404 and 413).
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const SPEC_FILE = path.resolve(__dirname, '..', '..', 'openapi.yaml');
/** The id the document is registered under, so its `#/components/...` references resolve. */
const SPEC_ID = 'openapi.yaml';

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is untyped JSON; the helper navigates it freely.
type Json = any;

/** A response as a test received it. */
export interface ObservedResponse {
  method: string;
  /** The path as sent (percent-encoding kept), with or without the query string. */
  path: string;
  status: number;
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The body as text ('' for none). */
  body: string;
}

/** The operation of a request, as the spec names it. */
export interface Operation {
  /** The spec's path template, e.g. /tasks/{taskId}; undefined when no path matches. */
  template?: string;
  operation?: Json;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every `$ref: '#/...'` made absolute (`openapi.yaml#/...`), so a schema compiled alone still resolves them. */
function absoluteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(absoluteRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `${SPEC_ID}${value}` : absoluteRefs(value),
    ]),
  );
}

function headerOf(headers: ObservedResponse['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name.toLowerCase()) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

const isJsonMediaType = (mediaType: string) => mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType);

/** The contract of openapi.yaml (or of `document`, for tests of this helper). */
export class ApiContract {
  readonly document: Json;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(document: Json = parse(fs.readFileSync(SPEC_FILE, 'utf8'))) {
    this.document = absoluteRefs(document);
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(this.ajv);
    // A schema resource holding the components, so that `openapi.yaml#/components/...` resolves; `components`
    // itself is no keyword of JSON Schema, declared here so strict mode accepts it.
    this.ajv.addKeyword('components');
    this.ajv.addSchema({ components: this.document.components ?? {} }, SPEC_ID);
  }

  /**
   * The operation API Gateway would route the request to: the path template that matches the
   * raw path segment by segment (a literal segment beats a {parameter}, which never matches an
   * empty segment), then the method on that path only.
   */
  operationOf(method: string, rawPath: string): Operation {
    const segments = rawPath.split('?')[0].split('/').slice(1);
    const candidates = Object.keys(this.document.paths ?? {})
      .map((template) => ({ template, parts: template.split('/').slice(1) }))
      .filter(
        ({ parts }) =>
          parts.length === segments.length &&
          parts.every((part, i) => (/^\{[^}]+\}$/.test(part) ? segments[i] !== '' : part === segments[i])),
      )
      .sort((a, b) => {
        for (let i = 0; i < a.parts.length; i++) {
          const literal = (part: string) => (/^\{/.test(part) ? 0 : 1);
          const diff = literal(b.parts[i]) - literal(a.parts[i]);
          if (diff !== 0) return diff;
        }
        return 0;
      });
    if (candidates.length === 0) return {};
    const template = candidates[0].template;
    const lower = method.toLowerCase();
    const operation = HTTP_METHODS.includes(lower) ? this.document.paths[template][lower] : undefined;
    return { template, ...(operation ? { operation } : {}) };
  }

  /** Follows `$ref`s to components of the document. */
  private resolve(node: Json): Json {
    let current = node;
    for (let depth = 0; current && typeof current.$ref === 'string' && depth < 10; depth++) {
      const pointer = current.$ref.slice(SPEC_ID.length + 2).split('/');
      current = pointer.reduce((value: Json, key: string) => value?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], this.document);
    }
    return current;
  }

  private validatorFor(schema: Json): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  private schemaProblems(schema: Json, value: unknown, what: string): string[] {
    const validate = this.validatorFor(schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) => `${what}${error.instancePath || ''} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`,
    );
  }

  /** Why the spec does not allow this response; empty when it does. */
  problems(observed: ObservedResponse): string[] {
    const { template, operation } = this.operationOf(observed.method, observed.path);
    const responses = operation ? operation.responses : this.document['x-unrouted-responses'];
    const route = operation ? `${observed.method.toUpperCase()} ${template}` : 'a request no route serves';
    const response = this.resolve(
      responses?.[String(observed.status)] ?? responses?.[`${String(observed.status)[0]}XX`] ?? responses?.default,
    );
    if (!response) {
      return [`status ${observed.status} is not a response of ${route} (it lists ${Object.keys(responses ?? {}).join(', ')})`];
    }
    const problems: string[] = [];
    for (const [name, declared] of Object.entries<Json>(response.headers ?? {})) {
      const header = this.resolve(declared);
      const value = headerOf(observed.headers, name);
      if (value === undefined) {
        if (header.required) problems.push(`header ${name} is required on ${observed.status} of ${route}`);
        continue;
      }
      if (header.schema) problems.push(...this.schemaProblems(header.schema, value, `header ${name}`));
    }
    const contentType = headerOf(observed.headers, 'content-type') ?? '';
    const mediaType = contentType.split(';')[0].trim().toLowerCase();
    const content: Record<string, Json> = response.content ?? {};
    if (Object.keys(content).length === 0) {
      if (observed.body !== '') problems.push(`${observed.status} of ${route} has no body in the spec, got ${observed.body.slice(0, 100)}`);
      return problems;
    }
    const media = content[mediaType];
    if (!media) {
      problems.push(`Content-Type '${contentType}' is not one of ${Object.keys(content).join(', ')} for ${observed.status} of ${route}`);
      return problems;
    }
    if (!media.schema) return problems;
    let body: unknown = observed.body;
    if (isJsonMediaType(mediaType)) {
      try {
        body = JSON.parse(observed.body);
      } catch {
        problems.push(`the ${observed.status} body of ${route} is not JSON: ${observed.body.slice(0, 100)}`);
        return problems;
      }
    }
    problems.push(...this.schemaProblems(media.schema, body, `body`));
    return problems;
  }
}

let shared: ApiContract | undefined;

/** Fails (an AssertionError-like Error listing every problem) unless openapi.yaml allows the response. */
export function expectResponseInSpec(observed: ObservedResponse): void {
  shared ??= new ApiContract();
  const problems = shared.problems(observed);
  if (problems.length > 0) {
    const error = new Error(
      `openapi.yaml does not allow the response to ${observed.method} ${observed.path} (${observed.status}):\n  ${problems.join('\n  ')}\n` +
        `  body: ${observed.body.slice(0, 300)}`,
    );
    error.name = 'ContractViolation';
    throw error;
  }
}
