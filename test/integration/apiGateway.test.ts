import http from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { expect } from 'chai';
import {
  loadServerlessConfig,
  matchRoute,
  startApiGateway,
  type ApiGateway,
  type ApiRoute,
  type InvocationOutcome,
  type ServerlessConfig,
} from '../../devstack';

const API_KEY = 'gateway-test-key-0123456789';

/** Sends one request byte for byte and collects the answer. */
function send(
  url: string,
  request: { method: string; path: string; headers?: http.OutgoingHttpHeaders | string[]; body?: string | Buffer },
) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    // Headers as a flat list keep their spelling and order, but Node then adds no Host.
    const headers = Array.isArray(request.headers) ? ['Host', `${hostname}:${port}`, ...request.headers] : request.headers;
    const req = http.request({ host: hostname, port, method: request.method, path: request.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

describe('local API Gateway (routes, keys and gateway responses of serverless.yml)', function () {
  let config: ServerlessConfig;
  let gateway: ApiGateway | undefined;
  let invocations: { functionName: string; event: APIGatewayProxyEvent }[];
  let answer: (event: APIGatewayProxyEvent) => InvocationOutcome | Promise<InvocationOutcome>;
  const warnings: string[] = [];

  before(async function () {
    this.timeout(30_000);
    config = await loadServerlessConfig('local', { LOCAL_API_KEY: API_KEY });
  });

  async function start(options: { maxPayloadBytes?: number; integrationTimeoutMs?: number } = {}) {
    gateway = await startApiGateway({
      config,
      stage: 'local',
      port: 0,
      invoke: async (functionName, event) => {
        invocations.push({ functionName, event: event as APIGatewayProxyEvent });
        return answer(event as APIGatewayProxyEvent);
      },
      warn: (line) => warnings.push(line),
      ...options,
    });
    return gateway.url;
  }

  beforeEach(() => {
    invocations = [];
    warnings.length = 0;
    answer = () => ({ ok: true, payload: { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' } });
  });

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it("has one route per http event, with the function's name and private flag", async () => {
    await start();

    const events = Object.values(config.functions).flatMap((fn) =>
      (fn.events ?? []).filter((e) => e.http).map((e) => ({ fn, http: e.http as { path: string; method: string; private?: boolean } })),
    );
    expect(gateway!.routes).to.have.length(events.length);
    for (const { fn, http: event } of events) {
      expect(gateway!.routes).to.deep.include({
        functionKey: Object.keys(config.functions).find((key) => config.functions[key] === fn),
        functionName: fn.name,
        method: event.method.toUpperCase(),
        resourcePath: `/${event.path}`,
        apiKeyRequired: event.private === true,
      });
    }
  });

  it('sends the raw body string, isBase64Encoded false, and inserts no Content-Type', async () => {
    const url = await start();

    await send(url, { method: 'POST', path: '/tasks', headers: { 'x-api-key': API_KEY, 'content-length': '5' }, body: 'false' });
    await send(url, { method: 'POST', path: '/tasks', headers: { 'x-api-key': API_KEY, 'content-length': '4' }, body: 'null' });
    await send(url, { method: 'POST', path: '/tasks', headers: { 'x-api-key': API_KEY, 'content-length': '0' } });

    expect(invocations.map((i) => i.event.body)).to.deep.equal(['false', 'null', null]);
    expect(invocations.every((i) => i.event.isBase64Encoded === false)).to.equal(true);
    expect(invocations.every((i) => !Object.keys(i.event.headers).some((name) => name.toLowerCase() === 'content-type'))).to.equal(true);
    expect(invocations[0].functionName).to.equal(config.functions.submitTask.name);
  });

  it('passes path parameters still percent-encoded and decodes query parameters once', async () => {
    const url = await start();

    await send(url, { method: 'GET', path: '/tasks/%2541', headers: { 'x-api-key': API_KEY } });
    await send(url, { method: 'GET', path: '/tasks?status=FAILED&cursor=a%2Bb&tag=1&tag=2', headers: { 'x-api-key': API_KEY } });

    const [get, list] = invocations.map((i) => i.event);
    expect(get).to.include({ resource: '/tasks/{taskId}', path: '/tasks/%2541', httpMethod: 'GET' });
    expect(get.pathParameters).to.deep.equal({ taskId: '%2541' });
    expect(get.queryStringParameters).to.equal(null);
    expect(list.pathParameters).to.equal(null);
    expect(list.queryStringParameters).to.deep.equal({ status: 'FAILED', cursor: 'a+b', tag: '2' });
    expect(list.multiValueQueryStringParameters).to.deep.equal({ status: ['FAILED'], cursor: ['a+b'], tag: ['1', '2'] });
  });

  it('passes headers as sent (names, repeats) plus X-Forwarded-*, and a requestContext with ids, stage and the API key', async () => {
    const url = await start();

    await send(url, {
      method: 'GET',
      path: '/tasks/t-1',
      headers: ['X-Api-Key', API_KEY, 'X-Thing', 'a', 'x-thing', 'b', 'User-Agent', 'test-agent'],
    });

    const event = invocations[0].event;
    expect(event.headers).to.include({
      'X-Api-Key': API_KEY,
      'X-Thing': 'b',
      'User-Agent': 'test-agent',
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-For': '127.0.0.1',
    });
    expect(event.multiValueHeaders['X-Thing']).to.deep.equal(['a', 'b']);
    expect(event.headers['X-Amzn-Trace-Id']).to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.requestContext).to.include({
      stage: 'local',
      resourcePath: '/tasks/{taskId}',
      httpMethod: 'GET',
      path: '/local/tasks/t-1',
      protocol: 'HTTP/1.1',
    });
    expect(event.requestContext.requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.identity).to.include({ apiKey: API_KEY, sourceIp: '127.0.0.1', userAgent: 'test-agent' });
    expect(event.requestContext.requestTime).to.match(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it("returns the function's status, headers (multiValueHeaders merged) and body, with API Gateway's request id headers", async () => {
    answer = () => ({
      ok: true,
      payload: {
        statusCode: 202,
        headers: { Location: '/tasks/x', 'X-One': '1' },
        multiValueHeaders: { 'X-Many': ['a', 'b'], 'x-one': ['2'] },
        body: '{"ok":true}',
      },
    });
    const url = await start();

    const response = await send(url, { method: 'POST', path: '/tasks', headers: { 'x-api-key': API_KEY }, body: '{}' });

    expect(response.status).to.equal(202);
    expect(response.body).to.equal('{"ok":true}');
    expect(response.headers).to.include({ location: '/tasks/x', 'x-one': '2', 'x-many': 'a, b', 'content-type': 'application/json' });
    expect(response.headers['x-amzn-requestid']).to.equal(invocations[0].event.requestContext.requestId);
    expect(response.headers['x-amz-apigw-id']).to.be.a('string');
  });

  it('answers a missing or wrong key on a private route with INVALID_API_KEY rendered by DEFAULT_4XX, without invoking', async () => {
    const url = await start();

    const missing = await send(url, { method: 'GET', path: '/tasks/t-1' });
    const wrong = await send(url, { method: 'GET', path: '/tasks/t-1', headers: { 'x-api-key': 'nope' } });

    for (const response of [missing, wrong]) {
      expect(response.status).to.equal(403);
      expect(response.headers).to.include({ 'content-type': 'application/json', 'x-amzn-errortype': 'ForbiddenException' });
      expect(JSON.parse(response.body)).to.deep.equal({ error: { code: 'INVALID_API_KEY', message: 'Forbidden', details: {} } });
    }
    expect(invocations).to.deep.equal([]);
  });

  it('answers an unknown path or method, OPTIONS included, with the MISSING_AUTHENTICATION_TOKEN response (404), key or not', async () => {
    const url = await start();

    const responses = await Promise.all([
      send(url, { method: 'PUT', path: '/tasks', headers: { 'x-api-key': API_KEY }, body: '{' }),
      send(url, { method: 'OPTIONS', path: '/tasks' }),
      send(url, { method: 'GET', path: '/tasks/../tasks', headers: { 'x-api-key': API_KEY } }),
      send(url, { method: 'GET', path: '/nope' }),
    ]);

    for (const response of responses) {
      expect(response.status).to.equal(404);
      expect(JSON.parse(response.body).error.code).to.equal('ROUTE_NOT_FOUND');
    }
    expect(invocations).to.deep.equal([]);
  });

  it("answers a body over the payload quota with API Gateway's fixed 413, before matching a route", async () => {
    const url = await start({ maxPayloadBytes: 1000 });

    const response = await send(url, { method: 'PUT', path: '/nope', body: 'x'.repeat(1001) });

    expect(response.status).to.equal(413);
    expect(JSON.parse(response.body)).to.deep.equal({ message: 'Request Too Long' });
  });

  it('answers a function error or a malformed proxy response with 502 rendered by DEFAULT_5XX, and says why', async () => {
    const url = await start();
    const outcomes: InvocationOutcome[] = [
      { ok: false, error: 'Unhandled function error: boom' },
      { ok: true, payload: { statusCode: 200, body: { not: 'a string' } } },
      { ok: true, payload: 'just a string' },
      { ok: true, payload: { body: '{}' } },
    ];
    const responses = [];
    for (const outcome of outcomes) {
      answer = () => outcome;
      responses.push(await send(url, { method: 'GET', path: '/tasks/t-1', headers: { 'x-api-key': API_KEY } }));
    }

    for (const response of responses) {
      expect(response.status).to.equal(502);
      expect(JSON.parse(response.body)).to.deep.equal({ error: { code: 'DEFAULT_5XX', message: 'Internal server error', details: {} } });
    }
    expect(warnings).to.have.length(4);
    expect(warnings[0]).to.contain('boom');
    expect(warnings[1]).to.contain('body must be a string');
  });

  it('answers 504 INTEGRATION_TIMEOUT when the function does not answer within the integration timeout', async () => {
    answer = () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, payload: { statusCode: 200 } }), 500));
    const url = await start({ integrationTimeoutMs: 50 });

    const response = await send(url, { method: 'GET', path: '/tasks/t-1', headers: { 'x-api-key': API_KEY } });

    expect(response.status).to.equal(504);
    expect(JSON.parse(response.body).error).to.include({ code: 'INTEGRATION_TIMEOUT', message: 'Endpoint request timed out' });
  });
});

describe('matchRoute: API Gateway resource matching on the raw path', () => {
  const route = (method: string, resourcePath: string): ApiRoute => ({
    functionKey: resourcePath,
    functionName: resourcePath,
    method,
    resourcePath,
    apiKeyRequired: false,
  });
  const routes = [
    route('GET', '/tasks'),
    route('GET', '/tasks/{taskId}'),
    route('GET', '/tasks/latest'),
    route('ANY', '/files/{path+}'),
    route('POST', '/tasks/{taskId}/redrive'),
  ];

  it('prefers a literal segment to a parameter, and a parameter to a greedy one', () => {
    expect(matchRoute(routes, 'GET', '/tasks/latest')?.route.resourcePath).to.equal('/tasks/latest');
    expect(matchRoute(routes, 'GET', '/tasks/other')?.pathParameters).to.deep.equal({ taskId: 'other' });
    expect(matchRoute(routes, 'DELETE', '/files/a/b%2Fc')?.pathParameters).to.deep.equal({ path: 'a/b%2Fc' });
  });

  it('matches nothing for a method the resource lacks, an empty segment, a trailing segment or another case', () => {
    expect(matchRoute(routes, 'POST', '/tasks')).to.equal(undefined);
    expect(matchRoute(routes, 'POST', '/tasks//redrive')).to.equal(undefined);
    expect(matchRoute(routes, 'GET', '/tasks/a/b')).to.equal(undefined);
    expect(matchRoute(routes, 'GET', '/Tasks')).to.equal(undefined);
  });

  it('treats dot segments as path segments, as sent', () => {
    expect(matchRoute(routes, 'GET', '/tasks/..')?.pathParameters).to.deep.equal({ taskId: '..' });
    expect(matchRoute(routes, 'GET', '/tasks/../tasks')).to.equal(undefined);
  });
});
