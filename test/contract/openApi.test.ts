/**
 * openapi.yaml as the contract: the response validator every HTTP suite uses fails on what
 * the spec does not allow; the spec names exactly the routes serverless.yml deploys, with the
 * API key where serverless.yml requires it; what the API serves as /openapi.json and what
 * docs/api.html renders are openapi.yaml as it is now. (`npm run lint` lints the spec.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CONSOLE_FILES } from '../../handlers/serveConsole';
import { ApiContract, SPEC_FILE, expectResponseInSpec } from '../support/openApi';
import { registryFor } from '../../lib/types/registry';
import { testConfig } from '../helpers/factories';

const ROOT = path.resolve(__dirname, '..', '..');
// biome-ignore lint/suspicious/noExplicitAny: serverless.yml and the spec are untyped YAML.
type Json = any;

const task = {
  taskId: 'order-42',
  type: 'simulated',
  status: 'QUEUED',
  attempts: 0,
  maxAttempts: 3,
  lastError: null,
  createdAt: '2026-11-30T09:00:00.000Z',
  updatedAt: '2026-11-30T09:00:00.000Z',
  correlationId: '01JDQ6M7Z3V8W4X5Y6Z7A8B9C0',
  history: [{ type: 'QUEUED', at: '2026-11-30T09:00:00.000Z', attempt: 0 }],
};
const json = { 'content-type': 'application/json' };
const submitted = { ...json, location: '/tasks/order-42', 'x-correlation-id': task.correlationId };

describe('the API contract (openapi.yaml)', () => {
  const contract = new ApiContract();

  describe('response validation', () => {
    const problems = (response: Partial<Parameters<ApiContract['problems']>[0]>) =>
      contract.problems({ method: 'GET', path: '/tasks/order-42', status: 200, headers: json, body: '', ...response });

    it('accepts a 202 from POST /tasks with its task, Location and X-Correlation-Id', () => {
      expect(problems({ method: 'POST', path: '/tasks', status: 202, headers: submitted, body: JSON.stringify(task) })).to.deep.equal([]);
    });

    it('refuses a status the route does not list', () => {
      expect(problems({ status: 201, body: JSON.stringify(task) })).to.deep.equal([
        'status 201 is not a response of GET /tasks/{taskId} (it lists 200, 400, 403, 404, 429, 500, 502, 504)',
      ]);
    });

    it('refuses a body with a field the schema does not have, or without one it requires', () => {
      const { correlationId: _, ...withoutId } = task;

      expect(problems({ body: JSON.stringify({ ...task, priority: 1 }) })).to.deep.equal([
        'body must NOT have additional properties {"additionalProperty":"priority"}',
      ]);
      expect(problems({ body: JSON.stringify(withoutId) })).to.deep.equal([
        `body must have required property 'correlationId' {"missingProperty":"correlationId"}`,
      ]);
    });

    it('refuses a response without a required header, and a header that breaks its schema', () => {
      expect(problems({ method: 'POST', path: '/tasks', status: 202, headers: json, body: JSON.stringify(task) })).to.deep.equal([
        'header Location is required on 202 of POST /tasks',
        'header X-Correlation-Id is required on 202 of POST /tasks',
      ]);
      const enqueueFailed = { error: { code: 'ENQUEUE_FAILED', message: 'x', details: { taskId: 'order-42' } } };
      expect(
        problems({
          method: 'POST',
          path: '/tasks',
          status: 503,
          headers: { ...json, 'retry-after': '5' },
          body: JSON.stringify(enqueueFailed),
        }),
      ).to.deep.equal(['header Retry-After must be equal to constant {"allowedValue":"1"}']);
    });

    it('refuses a Content-Type the response does not declare, and a JSON response that is not JSON', () => {
      expect(problems({ headers: { 'content-type': 'text/html' }, body: '<p>' })[0]).to.match(/^Content-Type 'text\/html' is not one of/);
      expect(problems({ body: '{' })[0]).to.match(/^the 200 body of GET \/tasks\/\{taskId\} is not JSON/);
    });

    it("holds a request no route serves to API Gateway's 404 ROUTE_NOT_FOUND (or its 413), by method and path as sent", () => {
      const routeNotFound = JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route', details: {} } });

      expect(contract.operationOf('DELETE', '/tasks/order-42')).to.deep.equal({ template: '/tasks/{taskId}' });
      expect(contract.operationOf('POST', '/tasks//redrive')).to.deep.equal({});
      expect(contract.operationOf('GET', '/tasks/..').template).to.equal('/tasks/{taskId}');
      expect(problems({ method: 'DELETE', status: 404, body: routeNotFound })).to.deep.equal([]);
      expect(problems({ method: 'GET', path: '/local/tasks?status=FAILED', status: 404, body: routeNotFound })).to.deep.equal([]);
      expect(problems({ method: 'PUT', path: '/nope', status: 413, body: '{"message":"Request Too Long"}' })).to.deep.equal([]);
      expect(problems({ method: 'GET', path: '/nope', status: 200, body: '{}' })[0]).to.match(
        /^status 200 is not a response of a request no route serves/,
      );
    });

    it('throws, naming the request and every problem, from expectResponseInSpec', () => {
      expect(() => expectResponseInSpec({ method: 'GET', path: '/tasks/x', status: 418, headers: json, body: '{}' })).to.throw(
        /openapi.yaml does not allow the response to GET \/tasks\/x \(418\):\n {2}status 418 is not a response/,
      );
    });
  });

  describe('routes', () => {
    const functions: Record<string, Json> = parse(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'), {
      logLevel: 'silent',
    }).functions;
    const deployed = Object.values(functions)
      .flatMap((fn) => fn.events ?? [])
      .filter((event) => event.http)
      .map(({ http }) => ({ route: `${http.method.toUpperCase()} /${http.path}`, keyed: http.private === true }));
    const spec = contract.document;
    const described = Object.entries<Json>(spec.paths).flatMap(([template, item]) =>
      Object.entries<Json>(item)
        .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
        .map(([method, operation]) => ({
          route: `${method.toUpperCase()} ${template}`,
          keyed: (operation.security ?? spec.security ?? []).length > 0,
        })),
    );

    it('describes every route serverless.yml deploys, and no other', () => {
      expect(described.map((r) => r.route).sort()).to.deep.equal(deployed.map((r) => r.route).sort());
    });

    it('requires the API key exactly where serverless.yml does (private: true); the console and /openapi.json need none', () => {
      const keyed = (routes: { route: string; keyed: boolean }[]) => Object.fromEntries(routes.map((r) => [r.route, r.keyed]));

      expect(keyed(described)).to.deep.equal(keyed(deployed));
      expect(keyed(deployed)).to.include({ 'GET /console': false, 'GET /openapi.json': false, 'POST /tasks': true });
    });

    it("lists as the console's assets exactly the files the function serves", () => {
      const assetParameter = spec.paths['/console/{asset}'].get.parameters.find((p: Json) => p.name === 'asset');
      const served = Object.keys(CONSOLE_FILES)
        .filter((route) => route.startsWith('/console/'))
        .map((route) => route.slice('/console/'.length));

      expect([...assetParameter.schema.enum].sort()).to.deep.equal(served.sort());
    });
  });

  describe('what is served and rendered from it', () => {
    const specNow = parse(fs.readFileSync(SPEC_FILE, 'utf8'));

    it('builds /openapi.json as openapi.yaml, and every file CONSOLE_FILES lists, nothing else', async function () {
      this.timeout(20_000);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
      try {
        const { buildConsole } = require('../../deploy/consoleAssets');
        const files: string[] = await buildConsole(out);

        expect(files).to.deep.equal(
          Object.values(CONSOLE_FILES)
            .map((f) => f.file)
            .sort(),
        );
        expect(JSON.parse(fs.readFileSync(path.join(out, 'openapi.json'), 'utf8'))).to.deep.equal(specNow);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });

    it('renders docs/api.html from openapi.yaml as it is (npm run docs:api rebuilds it)', () => {
      const html = fs.readFileSync(path.join(ROOT, 'docs', 'api.html'), 'utf8');
      const embedded = /const __redoc_definition = (\{.*\});\s*$/m.exec(html);

      expect(embedded, 'the definition Redoc embeds').to.not.equal(null);
      expect(JSON.parse(embedded![1]), 'docs/api.html is stale: run npm run docs:api').to.deep.equal(specNow);
    });
  });

  it("lists exactly the task types the registry runs (TaskType and the submit body's type)", () => {
    const doc = parse(fs.readFileSync(path.resolve(__dirname, '../../openapi.yaml'), 'utf8'));
    const names = registryFor(testConfig(), () => 0.5).names();
    expect(doc.components.schemas.TaskType.enum).to.deep.equal(names);
    expect(doc.components.schemas.SubmitRequest.properties.type.enum).to.deep.equal(names);
  });
});
