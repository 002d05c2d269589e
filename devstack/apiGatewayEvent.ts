import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteMatch } from './apiGatewayRoutes';

/** An HTTP request as it reached the gateway, nothing normalised. */
export interface GatewayRequest {
  method: string;
  /** The path as sent (percent-encoding and dot segments intact), without the query. */
  path: string;
  /** The query string as sent, without `?` ('' when there is none). */
  query: string;
  /** Header names as sent and values, in order (Node's `rawHeaders`). */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  protocol: string;
  receivedAt: Date;
}

/** What API Gateway knows of a request besides the request itself. */
export interface GatewayRequestContext {
  stage: string;
  accountId: string;
  apiId: string;
  requestId: string;
  extendedRequestId: string;
  traceId: string;
  /** The key the caller sent, when the method requires one (API Gateway puts it in identity). */
  apiKey?: string;
  apiKeyId?: string;
}

/** Splits a request target (origin form, or absolute form) into its raw path and query. */
export function splitTarget(target: string): { path: string; query: string } {
  let rest = target;
  if (!rest.startsWith('/')) {
    // Absolute form (`GET http://host/tasks HTTP/1.1`): keep what follows the authority.
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(rest);
    rest = match ? match[1] || '/' : `/${rest}`;
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const mark = rest.indexOf('?');
  return mark < 0 ? { path: rest, query: '' } : { path: rest.slice(0, mark), query: rest.slice(mark + 1) };
}

function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * queryStringParameters (last value of each name) and multiValueQueryStringParameters
 * (all values), percent-decoded once as API Gateway passes them; null for no query. A `;`
 * splits parameters like `&` (an API Gateway known issue for REST APIs).
 */
export function queryParameters(query: string): { single: Record<string, string>; multi: Record<string, string[]> } | null {
  const pairs = query.split(/[&;]/).filter((pair) => pair !== '');
  if (pairs.length === 0) return null;
  const multi: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = decodeOnce(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeOnce(eq < 0 ? '' : pair.slice(eq + 1));
    (multi[name] ??= []).push(value);
  }
  const single = Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values[values.length - 1]]));
  return { single, multi };
}

/** headers (last value of each name, as sent) and multiValueHeaders (every value). */
export function headerMaps(rawHeaders: string[]): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const multiValueHeaders: Record<string, string[]> = {};
  const names = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    // One entry per header, under the spelling of its first occurrence.
    const name = names.get(lower) ?? rawHeaders[i];
    names.set(lower, name);
    (multiValueHeaders[name] ??= []).push(rawHeaders[i + 1]);
  }
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values[values.length - 1]]));
  return { headers, multiValueHeaders };
}

function headerNamed(rawHeaders: string[], name: string): string | undefined {
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) if (rawHeaders[i].toLowerCase() === name) return rawHeaders[i + 1];
  return undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.requestTime`: 09/Apr/2015:12:34:56 +0000. */
function requestTime(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
}

/** The headers API Gateway adds on the way to the integration. */
function forwardedHeaders(request: GatewayRequest, context: GatewayRequestContext): string[] {
  const port = headerNamed(request.rawHeaders, 'host')?.split(':')[1] ?? '80';
  const forwardedFor = headerNamed(request.rawHeaders, 'x-forwarded-for');
  const added = [
    ['X-Amzn-Trace-Id', context.traceId],
    ['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp],
    ['X-Forwarded-Port', port],
    ['X-Forwarded-Proto', 'http'],
  ];
  const replaced = new Set(added.map(([name]) => name.toLowerCase()));
  const kept: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (!replaced.has(request.rawHeaders[i].toLowerCase())) kept.push(request.rawHeaders[i], request.rawHeaders[i + 1]);
  }
  return [...kept, ...added.flat()];
}

/**
 * The Lambda proxy integration event API Gateway (REST API) sends for a request: headers as
 * sent plus X-Forwarded-*, the body as the raw string it arrived as (null when empty, never
 * parsed), pathParameters still percent-encoded, query parameters decoded once.
 */
export function toProxyEvent(request: GatewayRequest, match: RouteMatch, context: GatewayRequestContext): APIGatewayProxyEvent {
  const rawHeaders = forwardedHeaders(request, context);
  const { headers, multiValueHeaders } = headerMaps(rawHeaders);
  const query = queryParameters(request.query);
  const host = headerNamed(request.rawHeaders, 'host') ?? '127.0.0.1';
  const domainName = host.split(':')[0];
  return {
    resource: match.route.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query?.single ?? null,
    multiValueQueryStringParameters: query?.multi ?? null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      authorizer: undefined,
      domainName,
      domainPrefix: domainName.split('.')[0],
      extendedRequestId: context.extendedRequestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: context.apiKey ?? null,
        apiKeyId: context.apiKeyId ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headerNamed(request.rawHeaders, 'user-agent') ?? null,
        userArn: null,
      },
      path: `/${context.stage}${request.path}`,
      protocol: request.protocol,
      requestId: context.requestId,
      requestTime: requestTime(request.receivedAt),
      requestTimeEpoch: request.receivedAt.getTime(),
      resourceId: match.route.resourcePath,
      resourcePath: match.route.resourcePath,
      stage: context.stage,
    },
    body: request.body.length === 0 ? null : request.body.toString('utf8'),
    isBase64Encoded: false,
  };
}

/** A function's answer turned into the HTTP response API Gateway sends. */
export interface ProxyResponse {
  statusCode: number;
  /** [name, value] pairs; a name may repeat. */
  headers: [string, string][];
  body: Buffer;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isScalar = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value);

/**
 * The response of a Lambda proxy integration, or the reason API Gateway would call it
 * malformed (and answer 502): statusCode an integer, body a string (base64 when
 * isBase64Encoded), headers and multiValueHeaders merged, Content-Type application/json
 * when the function set none.
 */
export function fromProxyResult(payload: unknown): { ok: true; response: ProxyResponse } | { ok: false; problem: string } {
  if (!isObject(payload))
    return {
      ok: false,
      problem: `the function returned ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}, not a proxy response object`,
    };
  const { statusCode, body, headers = {}, multiValueHeaders = {}, isBase64Encoded = false } = payload;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { ok: false, problem: `statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}` };
  }
  if (body !== undefined && body !== null && typeof body !== 'string')
    return { ok: false, problem: `body must be a string, got ${typeof body}` };
  if (typeof isBase64Encoded !== 'boolean') return { ok: false, problem: 'isBase64Encoded must be a boolean' };
  if (!isObject(headers) || !Object.values(headers).every(isScalar)) return { ok: false, problem: 'headers must map names to strings' };
  if (
    !isObject(multiValueHeaders) ||
    !Object.values(multiValueHeaders).every((values) => Array.isArray(values) && values.every(isScalar))
  ) {
    return { ok: false, problem: 'multiValueHeaders must map names to lists of strings' };
  }
  // Where both name a header, multiValueHeaders wins (API Gateway's merge rule).
  const multiNames = new Set(Object.keys(multiValueHeaders).map((name) => name.toLowerCase()));
  const merged: [string, string][] = [
    ...Object.entries(headers)
      .filter(([name]) => !multiNames.has(name.toLowerCase()))
      .map(([name, value]): [string, string] => [name, String(value)]),
    ...Object.entries(multiValueHeaders).flatMap(([name, values]) =>
      (values as unknown[]).map((value): [string, string] => [name, String(value)]),
    ),
  ];
  if (!merged.some(([name]) => name.toLowerCase() === 'content-type')) merged.push(['Content-Type', 'application/json']);
  const text = (body as string | null | undefined) ?? '';
  return {
    ok: true,
    response: { statusCode, headers: merged, body: isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') },
  };
}
