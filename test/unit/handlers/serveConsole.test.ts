import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { expect } from 'chai';
import sinon from 'sinon';
import { CONSOLE_DIR, CONSOLE_FILES, createHandler } from '../../../handlers/serveConsole';
import { StaticFiles } from '../../../lib/lambda/staticFiles';
import { MemoryLogger } from '../../../lib/adapters/logger';

const event = (resource: string, asset?: string) =>
  ({
    resource,
    path: resource,
    httpMethod: 'GET',
    pathParameters: asset === undefined ? null : { asset },
  }) as unknown as APIGatewayProxyEvent;

describe('GET /console, /console/{asset}, /openapi.json (serveConsole handler)', () => {
  let root: string;
  let dir: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-console-'));
    dir = path.join(root, 'console');
    fs.mkdirSync(dir);
    for (const { file } of Object.values(CONSOLE_FILES)) fs.writeFileSync(path.join(dir, file), `contents of ${file}`);
    // Beside the built files: what a path that escapes the directory would reach.
    fs.writeFileSync(path.join(root, 'secret.txt'), 'not to be served');
    fs.writeFileSync(path.join(dir, 'stray.js'), 'built but not listed');
  });

  afterEach(() => {
    sinon.restore();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const handler = () => createHandler(new StaticFiles(dir, CONSOLE_FILES));

  it('serves the page as HTML with a strict Content-Security-Policy and nosniff', async () => {
    const response = await handler()(event('/console'));

    expect(response.statusCode).to.equal(200);
    expect(response.body).to.equal('contents of index.html');
    expect(response.headers).to.include({ 'Content-Type': 'text/html; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    const csp = String(response.headers?.['Content-Security-Policy']);
    expect(csp).to.match(/^default-src 'self';/);
    expect(csp).to.include("script-src 'self';").and.include("frame-ancestors 'none'").and.include("form-action 'none'");
    expect(csp).to.not.include('unsafe-inline');
  });

  it('serves each listed asset with its Content-Type, and /openapi.json as JSON', async () => {
    const js = await handler()(event('/console/{asset}', 'console.js'));
    const css = await handler()(event('/console/{asset}', 'console.css'));
    const spec = await handler()(event('/openapi.json'));

    expect([js.statusCode, js.headers?.['Content-Type'], js.body]).to.deep.equal([
      200,
      'text/javascript; charset=utf-8',
      'contents of console.js',
    ]);
    expect(css.headers?.['Content-Type']).to.equal('text/css; charset=utf-8');
    expect([spec.headers?.['Content-Type'], spec.body]).to.deep.equal(['application/json; charset=utf-8', 'contents of openapi.json']);
  });

  for (const asset of [
    '../secret.txt',
    '..%2Fsecret.txt',
    '%2e%2e/secret.txt',
    'stray.js',
    'index.html',
    'openapi.json',
    '',
    'constructor',
    '__proto__',
  ]) {
    it(`answers 404 ASSET_NOT_FOUND for /console/${asset}, reading no file`, async () => {
      const reads = sinon.spy(fs, 'readFileSync');

      const response = await handler()(event('/console/{asset}', asset));

      expect(reads.callCount, 'files read').to.equal(0);
      expect(response.statusCode).to.equal(404);
      expect(JSON.parse(response.body)).to.deep.equal({
        error: { code: 'ASSET_NOT_FOUND', message: 'the console has no file of that name; open /console', details: {} },
      });
      expect(response.headers).to.include({ 'X-Content-Type-Options': 'nosniff' });
    });
  }

  it('reads each file once and serves the same bytes after', async () => {
    const serve = handler();
    await serve(event('/console'));
    fs.writeFileSync(path.join(dir, 'index.html'), 'changed');

    expect((await serve(event('/console'))).body).to.equal('contents of index.html');
  });

  it('answers a 500 that reveals nothing, and logs which file is missing, when the build left a listed file out', async () => {
    fs.rmSync(path.join(dir, 'console.css'));

    const log = new MemoryLogger();
    const result = await createHandler(new StaticFiles(dir, CONSOLE_FILES), () => log)(event('/console/{asset}', 'console.css'));
    const lines = log.entries;

    expect(result.statusCode).to.equal(500);
    expect(JSON.parse(result.body).error.code).to.equal('INTERNAL_ERROR');
    expect(lines.find((line) => line.message === 'REQUEST_FAILED')?.error).to.deep.include({ name: 'StaticFileMissingError' });
    expect(JSON.stringify(lines)).to.include('console.css');
  });

  it('looks for the built console beside the compiled handlers, in dist/console', () => {
    expect(path.relative(path.resolve(__dirname, '../../..'), CONSOLE_DIR)).to.equal(path.join('dist', 'console'));
  });
});
