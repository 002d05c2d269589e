import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromProxyResult, splitTarget, toProxyEvent, type GatewayRequest, type ProxyResponse } from './apiGatewayEvent';
import { GATEWAY_ERRORS, gatewayResponses, renderGatewayResponse, type GatewayError } from './apiGatewayResponses';
import { apiRoutes, matchRoute, type ApiRoute, type RouteMatch } from './apiGatewayRoutes';
import type { ServerlessConfig } from './serverlessConfig';
import type { InvocationOutcome } from './sqsEvent';

/** API Gateway's payload quota for REST APIs: a larger request is refused before any route. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway's default integration timeout for REST APIs. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
/** Stands in for the AWS account id in ARNs and request contexts. */
const LOCAL_ACCOUNT_ID = '000000000000';

export interface ApiGatewayOptions {
  /** serverless.yml resolved for the stage: http events, API keys and gateway responses. */
  config: ServerlessConfig;
  stage: string;
  host?: string;
  /** 0: a free port. */
  port: number;
  /** Invokes a function synchronously (lambdaInvoker's invoke against serverless-offline). */
  invoke: (functionName: string, event: unknown) => Promise<InvocationOutcome>;
  /** One line per request (method, path, route or gateway error, status, time); none when absent. */
  log?: (line: string) => void;
  /** Why an integration failed (a function error, a malformed response). */
  warn?: (line: string) => void;
  maxPayloadBytes?: number;
  integrationTimeoutMs?: number;
}

export interface ApiGateway {
  url: string;
  port: number;
  routes: ApiRoute[];
  /** serverless.yml settings with no local effect. */
  warnings: string[];
  stop(): Promise<void>;
}

interface ApiKey {
  id: string;
  value: string;
}

/** The keys of provider.apiGateway.apiKeys that have a value (the local stage sets one). */
function apiKeysOf(config: ServerlessConfig, warnings: string[]): ApiKey[] {
  const apiGateway = (config.provider.apiGateway ?? {}) as { apiKeys?: unknown[] };
  return (apiGateway.apiKeys ?? []).flatMap((entry): ApiKey[] => {
    const key = entry as { name?: string; value?: string } | string;
    if (typeof key === 'object' && typeof key.value === 'string' && key.value !== '')
      return [{ id: key.name ?? key.value, value: key.value }];
    warnings.push(
      `API key ${JSON.stringify(typeof key === 'object' ? key.name : key)} has no value in serverless.yml: no request can present it locally`,
    );
    return [];
  });
}

/** Reads the body up to `max` bytes; beyond that only counts what it drains. */
function readBody(req: http.IncomingMessage, max: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: size > max }));
    req.on('error', reject);
  });
}

function ids() {
  const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return {
    requestId: crypto.randomUUID(),
    // Like API Gateway's x-amz-apigw-id: short and opaque.
    extendedRequestId: crypto.randomBytes(12).toString('base64url').slice(0, 16),
    traceId: `Root=1-${seconds}-${hex(12)}`,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * A local stand-in for the REST API that `serverless deploy` creates: routes from the
 * functions' `http` events, matched on the raw path; API keys checked for `private: true`
 * methods; API Gateway's own errors answered with serverless.yml's GatewayResponse
 * resources; every other request turned into the Lambda proxy event API Gateway sends and
 * the function invoked through the Lambda invoke API, its proxy response returned as is.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<ApiGateway> {
  const warnings: string[] = [];
  const routes = apiRoutes(options.config);
  const keys = apiKeysOf(options.config, warnings);
  const responses = gatewayResponses(options.config.resources?.Resources ?? {});
  const maxPayloadBytes = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const apiId = 'local';

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    const { requestId, extendedRequestId, traceId } = ids();
    const { path, query } = splitTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    const requestHeaders = req.headers as Record<string, string | undefined>;
    let match: RouteMatch | undefined;

    const send = (response: ProxyResponse | { statusCode: number; headers: Record<string, string>; body: string }, what: string) => {
      const headers = Array.isArray(response.headers) ? response.headers : Object.entries(response.headers);
      res.statusCode = response.statusCode;
      for (const [name, values] of groupHeaders(headers)) res.setHeader(name, values.length === 1 ? values[0] : values);
      res.setHeader('x-amzn-RequestId', requestId);
      res.setHeader('x-amz-apigw-id', extendedRequestId);
      res.setHeader('X-Amzn-Trace-Id', traceId);
      res.end(response.body);
      options.log?.(`${method} ${req.url} -> ${what} ${response.statusCode} (${Date.now() - started} ms)`);
    };
    const fail = (error: GatewayError) => {
      const context = {
        requestId,
        extendedRequestId,
        stage: options.stage,
        httpMethod: method,
        path,
        resourcePath: match?.route.resourcePath,
        requestHeaders,
      };
      send(renderGatewayResponse(responses, error, context), error.responseType);
    };

    const declared = Number(req.headers['content-length'] ?? 0);
    const { body, tooLarge } = await readBody(req, maxPayloadBytes);
    if (tooLarge || declared > maxPayloadBytes) return fail(GATEWAY_ERRORS.requestTooLarge);

    match = matchRoute(routes, method, path);
    if (!match) return fail(GATEWAY_ERRORS.unknownRoute);
    const sentKey = req.headers['x-api-key'];
    const key = keys.find((candidate) => candidate.value === sentKey);
    if (match.route.apiKeyRequired && !key) return fail(GATEWAY_ERRORS.invalidApiKey);

    const request: GatewayRequest = {
      method,
      path,
      query,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
      receivedAt: new Date(started),
    };
    const event = toProxyEvent(request, match, {
      stage: options.stage,
      accountId: LOCAL_ACCOUNT_ID,
      apiId,
      requestId,
      extendedRequestId,
      traceId,
      ...(match.route.apiKeyRequired && key ? { apiKey: key.value, apiKeyId: key.id } : {}),
    });
    const outcome = await withTimeout(options.invoke(match.route.functionName, event), integrationTimeoutMs);
    if (outcome === 'timeout') return fail(GATEWAY_ERRORS.integrationTimeout);
    if (!outcome.ok) {
      options.warn?.(`${method} ${req.url}: ${match.route.functionKey} failed, answering 502: ${outcome.error}`);
      return fail(GATEWAY_ERRORS.integrationError);
    }
    const result = fromProxyResult(outcome.payload);
    if (!result.ok) {
      options.warn?.(
        `${method} ${req.url}: malformed Lambda proxy response from ${match.route.functionKey}, answering 502: ${result.problem}`,
      );
      return fail(GATEWAY_ERRORS.integrationError);
    }
    send(result.response, match.route.functionKey);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.warn?.(`${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    routes,
    warnings,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Header pairs grouped by name (case-insensitively), first spelling kept. */
function groupHeaders(pairs: [string, string][]): Map<string, string[]> {
  const byLower = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of pairs) {
    const entry = byLower.get(name.toLowerCase()) ?? { name, values: [] };
    entry.values.push(value);
    byLower.set(name.toLowerCase(), entry);
  }
  return new Map([...byLower.values()].map(({ name, values }) => [name, values]));
}
