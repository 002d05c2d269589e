/**
 * The operator console in a real browser: Playwright (playwright-core, no browser download)
 * drives Debian's Chromium against `npm start`, as an operator would: enter the key, submit
 * tasks and follow them, redrive, page through the lists. Every response the page receives
 * from the API is held to openapi.yaml. Screenshots go to test-results/browser/, or to
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1 (the README shows those).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parse } from 'yaml';
import { startNpmStart, type NpmStart } from '../support/npmStart';
import { expectResponseInSpec } from '../support/openApi';
import { pollUntil } from '../../tools/poll';

// What the callbacks given to page.evaluate use of the page (this file compiles without the DOM library).
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here.
declare const document: any;
declare const window: { innerWidth: number };
declare function getComputedStyle(element: unknown): { display: string };

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : path.join(ROOT, 'test-results', 'browser');
const XSS = '<img src=x onerror=alert(1)>';
/** POST /tasks/batch is in the API (its description): the console's Submit many panel uses it. */
const HAS_BATCH_ROUTE = Boolean(parse(fs.readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8')).paths?.['/tasks/batch']?.post);
/** The local stage fails a task's three attempts in about 8 s; generous for a loaded 2-core machine. */
const FAILED_WITHIN_MS = 45_000;

describe('the console in Chromium, against npm start', function () {
  this.timeout(90_000);
  let stack: NpmStart;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const contractProblems: string[] = [];
  const dialogs: string[] = [];
  const requestUrls: string[] = [];
  const consoleLines: string[] = [];
  const run = Date.now().toString(36);
  /** Tasks later tests need, submitted early so their attempts run while earlier tests do. */
  const htmlErrorTask = `browser-html-error-${run}`;
  const bulkTasks = [1, 2, 3].map((i) => `browser-bulk-${i}-${run}`);
  const pagedTasks = Array.from({ length: 12 }, (_, i) => `browser-page-${String(i).padStart(2, '0')}-${run}`);

  /** A request to the API from the test itself (not through the page), checked against the spec too. */
  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${stack.baseUrl}${route}`, {
      method,
      headers: { 'x-api-key': stack.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    expectResponseInSpec({ method, path: route, status: response.status, headers: response.headers, body: text });
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const waitForStatus = (taskId: string, status: string) =>
    pollUntil(async () => (await api('GET', `/tasks/${taskId}`)).body.status === status, {
      timeoutMs: FAILED_WITHIN_MS,
      intervalMs: 300,
      failure: () => `${taskId} did not reach ${status}`,
    });

  /** A fresh tab: its own sessionStorage, every API response checked against openapi.yaml. */
  const newPage = async (width = 1280, height = 800): Promise<Page> => {
    const tab = await context.newPage();
    await tab.setViewportSize({ width, height });
    tab.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    tab.on('console', (message) => consoleLines.push(message.text()));
    tab.on('request', (request) => requestUrls.push(request.url()));
    tab.on('response', async (response) => {
      const url = new URL(response.url());
      if (url.origin !== stack.baseUrl) return;
      // A body still arriving when its tab closes cannot be read, nor checked.
      const body = await response.text().catch(() => undefined);
      if (body === undefined) return;
      try {
        expectResponseInSpec({
          method: response.request().method(),
          path: `${url.pathname}${url.search}`,
          status: response.status(),
          headers: await response.allHeaders(),
          body,
        });
      } catch (error) {
        contractProblems.push((error as Error).message);
      }
    });
    // Every Content-Security-Policy violation the page reports.
    await tab.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event: { violatedDirective: string; blockedURI: string }) =>
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
      );
    });
    return tab;
  };
  const connect = async (tab: Page, key = stack.apiKey) => {
    await tab.goto(`${stack.baseUrl}/console`);
    await tab.locator('#key-input').fill(key);
    await tab.locator('#key-submit').click();
  };
  const screenshot = async (tab: Page, name: string) => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await tab.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  };
  const submitThroughForm = async (tab: Page, taskId: string, payload: string) => {
    await tab.goto(`${stack.baseUrl}/console#/submit`);
    await tab.locator('#f-taskId').fill(taskId);
    await tab.locator('#f-payload').fill(payload);
    await tab.locator('#f-submit').click();
  };

  before(async function () {
    this.timeout(200_000);
    expect(fs.existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`).to.equal(true);
    stack = await startNpmStart();
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
    context.setDefaultTimeout(20_000);
    page = await newPage();
  });

  after(async function () {
    this.timeout(60_000);
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    await stack?.stop();
  });

  afterEach(() => {
    expect(contractProblems, 'responses openapi.yaml does not allow').to.deep.equal([]);
    expect(dialogs, 'alert/confirm dialogs the page opened').to.deep.equal([]);
    expect(
      consoleLines.filter((line) => /CSP violation|Refused to/.test(line)),
      'Content-Security-Policy violations',
    ).to.deep.equal([]);
  });

  it('asks for the API key, keeps it in sessionStorage only, and shows an empty FAILED tab', async () => {
    await page.goto(`${stack.baseUrl}/console`);
    await page.locator('#key-dialog[open] #key-input').waitFor();

    await connect(page);

    await page.locator('#tab-FAILED[aria-selected="true"]').waitFor();
    await page.locator('.empty-title', { hasText: 'No FAILED tasks.' }).waitFor();
    const storage = await page.evaluate(() => ({
      session: Object.entries(sessionStorage),
      local: Object.keys(localStorage),
      cookie: document.cookie,
      inlineScripts: document.querySelectorAll('script:not([src])').length,
    }));
    expect(storage).to.deep.equal({ session: [['task-pipeline.console.apiKey', stack.apiKey]], local: [], cookie: '', inlineScripts: 0 });
    // Counts of the unfinished statuses; none for the finished ones.
    await page.locator('#tab-QUEUED .count:not([hidden])').waitFor();
    expect(await page.locator('#tab-SUCCEEDED .count').isHidden()).to.equal(true);
  });

  it('serves the page with a strict Content-Security-Policy and nosniff, without a key', async () => {
    const response = await fetch(`${stack.baseUrl}/console`);
    const csp = response.headers.get('content-security-policy') ?? '';

    expect(response.status).to.equal(200);
    expect(csp).to.match(/^default-src 'self'; script-src 'self';/);
    expect(csp).to.not.include('unsafe');
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
  });

  it('submits a task from the form and follows it to SUCCEEDED on its page', async () => {
    const taskId = `browser-ok-${run}`;

    await submitThroughForm(page, taskId, '{"simulate":"succeed"}');

    await page.waitForURL(`**/console#/task/${taskId}`);
    await page.locator('#flash', { hasText: `Submitted ${taskId} (202)` }).waitFor();
    await page.locator('#task-status', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('svg.timeline rect.attempt-succeeded').count()).to.equal(1);
    expect(await page.locator('.facts').textContent()).to.include('1 of 3');
  });

  it('shows a forced failure as FAILED after three attempts on the timeline, redrives it from the page and runs it again', async () => {
    const taskId = `browser-fail-${run}`;

    await submitThroughForm(page, taskId, '{"simulate":"fail"}');
    await api('POST', '/tasks', { taskId: htmlErrorTask, payload: { simulate: 'fail', note: XSS } });
    for (const id of bulkTasks) await api('POST', '/tasks', { taskId: id, payload: { simulate: 'fail' } });
    for (const id of pagedTasks) await api('POST', '/tasks', { taskId: id, payload: { simulate: 'succeed' } });
    await page.locator('#task-status', { hasText: 'FAILED' }).waitFor({ timeout: FAILED_WITHIN_MS });

    const timeline = page.locator('svg.timeline');
    expect(await timeline.locator('rect.attempt').count(), 'attempts').to.equal(3);
    expect(await timeline.locator('rect.attempt-retry').count(), 'attempts followed by a backoff').to.equal(2);
    expect(await timeline.locator('rect.attempt-dead-lettered').count(), 'the last, dead-lettered').to.equal(1);
    expect(await timeline.locator('line.gap-backoff').count(), 'backoff gaps').to.equal(2);
    // Each label's text follows its <title> (the tooltip).
    expect((await timeline.locator('text.label-gap').allTextContents()).map((text) => text.match(/wait \d+ s$/)?.[0])).to.deep.equal([
      'wait 1 s',
      'wait 2 s',
    ]);
    expect(await timeline.locator('line.mark-DEAD_LETTERED').count(), 'the DLQ mark').to.equal(1);
    expect(await timeline.locator('line.mark-FAILED').count(), 'the FAILED mark').to.equal(1);
    expect(await timeline.locator('text.label-error').count(), 'an error on each failed attempt').to.equal(3);
    expect(await page.locator('ol.events .event-error').first().textContent()).to.include('SimulatedFailure');
    await screenshot(page, 'console-task');

    await page.locator('#redrive-task').click();
    await page.locator('dialog.confirm', { hasText: 'Redrive this task?' }).waitFor();
    await page.locator('dialog.confirm button.primary').click();

    await page.locator('#task-message', { hasText: 'Redriven' }).waitFor();
    await pollUntil(async () => (await timeline.locator('rect.attempt').count()) > 3, {
      timeoutMs: 30_000,
      failure: () => 'no attempt after the redrive',
    });
    expect(await timeline.locator('line.mark-REDRIVEN').count()).to.equal(1);
    expect((await api('GET', `/tasks/${taskId}`)).body.history.map((e: { type: string }) => e.type)).to.include('REDRIVEN');
  });

  it('cancels a task waiting for its delayed start from its page, after a confirmation', async () => {
    const taskId = `browser-cancel-${run}`;
    await api('POST', '/tasks', { taskId, payload: { simulate: 'succeed' }, delaySeconds: 600 });
    await page.goto(`${stack.baseUrl}/console#/task/${taskId}`);
    await page.locator('#task-status', { hasText: 'QUEUED' }).waitFor();

    await page.locator('#cancel-task').click();
    await page.locator('dialog.confirm', { hasText: 'Cancel this task?' }).waitFor();
    await page.locator('dialog.confirm button.primary').click();

    await page.locator('#task-message', { hasText: 'Cancelled' }).waitFor();
    await page.locator('#task-status', { hasText: 'CANCELLED' }).waitFor();
    expect((await api('GET', `/tasks/${taskId}`)).body.status).to.equal('CANCELLED');
    expect(await page.locator('#cancel-task').count(), 'no cancel once CANCELLED').to.equal(0);
  });

  it('shows a 400 from the submit form next to the field it names, and task-supplied HTML as text, opening no dialog', async () => {
    await submitThroughForm(page, 'bad id', '{}');
    await page.locator('#f-taskId-error:not([hidden])').waitFor();
    expect(await page.locator('#f-taskId-error').textContent()).to.equal('taskId may contain only letters, digits and - _ . :');
    expect(await page.locator('#f-taskId').getAttribute('aria-invalid')).to.equal('true');
    expect(await page.locator('#f-payload-error').isHidden()).to.equal(true);

    await page.locator('#f-taskId').fill(`browser-xss-${run}`);
    await page.locator('#f-payload').fill(`{"note": ${JSON.stringify(XSS)}, ${JSON.stringify(XSS)}: {"__proto__": 1}}`);
    await page.locator('#f-submit').click();

    await page.locator('#f-payload-error:not([hidden])').waitFor();
    expect(await page.locator('#f-payload-error').textContent()).to.equal(`payload.${XSS}.__proto__ key '__proto__' is not allowed`);
    expect(await page.locator('#f-taskId-error').isHidden()).to.equal(true);
    expect(await page.locator('img[src="x"]').count(), 'img elements from task data').to.equal(0);
  });

  it("submits with a delayed start and shows when the first attempt is due; a delay out of range gets the API's error by its field", async () => {
    const taskId = `browser-delay-${run}`;
    await page.goto(`${stack.baseUrl}/console#/submit`);
    await page.locator('#f-taskId').fill(taskId);
    await page.locator('#f-payload').fill('{"simulate":"succeed"}');
    await page.locator('#f-delaySeconds').fill('901');
    await page.locator('#f-submit').click();

    await page.locator('#f-delaySeconds-error:not([hidden])').waitFor();
    expect(await page.locator('#f-delaySeconds-error').textContent()).to.equal('delaySeconds must be an integer from 0 to 900, got 901');
    expect(await page.locator('#f-delaySeconds').getAttribute('aria-invalid')).to.equal('true');
    expect((await api('GET', `/tasks/${taskId}`)).status, 'nothing was submitted').to.equal(404);

    await page.locator('#f-delaySeconds').fill('600');
    await page.locator('#f-submit').click();

    await page.waitForURL(`**/console#/task/${taskId}`);
    await page.locator('#flash span', { hasText: /Its first attempt is due at .+ \(in (9 min \d+ s|10 min)\)\.$/ }).waitFor();
    await page.locator('.facts', { hasText: 'First attempt due' }).waitFor();
    expect(await page.locator('.facts').textContent()).to.match(/First attempt due.+\(in (9 min \d+ s|10 min)\)/);
    expect(await page.locator('#task-status').textContent()).to.equal('QUEUED');
    const task = (await api('GET', `/tasks/${taskId}`)).body;
    expect(Date.parse(task.nextAttemptAt) - Date.parse(task.createdAt), 'the first attempt 600 s after the submit').to.equal(600_000);
  });

  // Needs POST /tasks/batch in the server and openapi.yaml (skipped, as pending, until both have it).
  it('submits many tasks from an NDJSON file through POST /tasks/batch, 100 a request, with one result row per line', async function () {
    if (!HAS_BATCH_ROUTE) this.skip();
    const ids = Array.from({ length: 101 }, (_, i) => `browser-many-${String(i).padStart(3, '0')}-${run}`);
    const noPayload = `browser-many-no-payload-${run}`;
    const ndjson = [
      ...ids.map((taskId) => JSON.stringify({ taskId, payload: { simulate: 'succeed' }, delaySeconds: 900 })),
      '',
      'not json',
      JSON.stringify({ taskId: noPayload }),
      JSON.stringify({ taskId: ids[0], payload: { simulate: 'fail' } }),
      JSON.stringify({ taskId: XSS, payload: { note: XSS } }),
    ].join('\n');
    const batchRequests = () => requestUrls.filter((url) => url === `${stack.baseUrl}/tasks/batch`).length;
    await page.goto(`${stack.baseUrl}/console#/submit`);
    await page.locator('#bulk-submit-panel').waitFor();
    await page.locator('#bulk-file').setInputFiles({ name: 'tasks.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(ndjson) });
    await pollUntil(async () => (await page.locator('#bulk-ndjson').inputValue()) === ndjson, {
      timeoutMs: 5_000,
      failure: () => 'the file did not replace the text',
    });
    const before = batchRequests();

    await page.locator('#bulk-submit').focus();
    await page.keyboard.press('Enter');

    await page.locator('#bulk-summary', { hasText: '105 lines: 202 × 101, 400 × 2; 2 not sent.' }).waitFor({ timeout: 30_000 });
    expect(batchRequests() - before, 'requests of at most 100 tasks').to.equal(2);
    const rows = await page
      .locator('#bulk-results tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-line'), tr.querySelector('.bulk-status')?.textContent]));
    expect(rows).to.deep.equal([
      ...ids.map((_, i) => [String(i + 1), '202']),
      ['103', 'not sent'],
      ['104', '400'],
      ['105', 'not sent'],
      ['106', '400'],
    ]);
    expect(await page.locator('tr[data-line="104"] td.error-cell').textContent()).to.include('payload is required');
    expect(await page.locator('tr[data-line="105"] td.error-cell').textContent()).to.equal(
      'Its taskId repeats line 1; only the first is sent',
    );
    expect(await page.locator('tr[data-line="106"] th').textContent(), 'an invalid taskId, as text').to.equal(XSS);
    expect(await page.locator('img[src="x"]').count(), 'img elements from the file or the API').to.equal(0);
    expect((await api('GET', `/tasks/${noPayload}`)).status, 'the line without a payload').to.equal(404);

    await page.locator('#bulk-submit').click();
    await page.locator('#bulk-summary', { hasText: '105 lines: 200 × 101, 400 × 2; 2 not sent.' }).waitFor({ timeout: 30_000 });
    await page.locator('tr[data-line="1"] th a').click();
    await page.waitForURL(`**/console#/task/${ids[0]}`);
    await page.locator('.facts', { hasText: 'First attempt due' }).waitFor();
  });

  it('renders a recorded error message holding HTML as text on the task page and in the list', async () => {
    const taskId = htmlErrorTask;
    await waitForStatus(taskId, 'FAILED');
    // A worker whose error echoes its input would record this; the simulation never does, so write it.
    const db = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${stack.ports.dynamoDb}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const key = marshall({ pk: `TASK#${taskId}`, sk: 'STATE' });
    const item = unmarshall((await db.send(new GetItemCommand({ TableName: 'task-pipeline-local-tasks', Key: key }))).Item!);
    const error = { name: 'EchoError', message: `upstream said ${XSS}` };
    item.lastError = error;
    item.history = item.history.map((event: { error?: unknown }) => (event.error ? { ...event, error } : event));
    await db.send(new PutItemCommand({ TableName: 'task-pipeline-local-tasks', Item: marshall(item, { removeUndefinedValues: true }) }));
    db.destroy();

    await page.goto(`${stack.baseUrl}/console#/task/${taskId}`);
    await page.locator('.facts .error-text', { hasText: XSS }).waitFor();
    expect(await page.locator('ol.events .event-error').allTextContents()).to.include(` EchoError: upstream said ${XSS}`);
    expect(await page.locator('svg.timeline title', { hasText: XSS }).count()).to.be.greaterThan(0);
    await page.goto(`${stack.baseUrl}/console#/tasks/FAILED`);
    await page.locator(`tr[data-task-id="${taskId}"] .error-cell`, { hasText: `EchoError: upstream said ${XSS}` }).waitFor();
    expect(await page.locator('img[src="x"]').count(), 'img elements from task data').to.equal(0);
  });

  it('redrives the selected FAILED tasks, then every FAILED task at a chosen rate with a progress bar', async () => {
    const ids = bulkTasks;
    for (const taskId of ids) await waitForStatus(taskId, 'FAILED');
    await page.goto(`${stack.baseUrl}/console#/tasks/FAILED`);
    await page.locator(`tr[data-task-id="${ids[2]}"]`).waitFor();
    await screenshot(page, 'console-list');

    await page.locator(`tr[data-task-id="${ids[0]}"] input[type=checkbox]`).check();
    await page.locator(`tr[data-task-id="${ids[1]}"] input[type=checkbox]`).check();
    await page.locator('#redrive-selected', { hasText: 'Redrive selected (2)' }).click();
    await page.locator('dialog.confirm button.primary', { hasText: 'Redrive 2' }).click();
    await page.locator('.bulk-report', { hasText: 'Redrive of the selected tasks: 2 redriven, 0 skipped' }).waitFor();
    expect((await api('GET', `/tasks/${ids[2]}`)).body.status, 'the task not selected').to.equal('FAILED');

    await page.locator('#redrive-all').click();
    await page.locator('#redrive-all-status', { hasText: /FAILED tasks? found/ }).waitFor();
    const found = Number(((await page.locator('#redrive-all-status').textContent()) ?? '').match(/^(\d+)/)?.[1]);
    await page.locator('#redrive-rate').fill('4');
    await page.locator('#redrive-all-start').click();
    await page.locator('#bulk-progress').waitFor();
    await page.locator('.bulk-report', { hasText: `Redrive of every FAILED task: ${found} redriven` }).waitFor({ timeout: 30_000 });
    expect(found).to.be.at.least(2);
  });

  it('pages through a status by cursor, newest first, and keeps the page while it refreshes live', async () => {
    for (const taskId of pagedTasks) await waitForStatus(taskId, 'SUCCEEDED');
    await page.goto(`${stack.baseUrl}/console#/tasks/SUCCEEDED`);
    await page.locator('#page-size').selectOption('10');
    await pollUntil(async () => (await page.locator('tbody tr').count()) === 10, {
      timeoutMs: 10_000,
      failure: () => 'the page did not show 10 rows',
    });
    const firstPage = await page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-task-id')));
    expect(firstPage).to.have.length(10);

    await page.locator('#page-older').click();
    await page.locator('.page-label', { hasText: 'Page 2' }).waitFor();
    const updatedBefore = await page.locator('.updated').textContent();
    await api('POST', '/tasks', { taskId: `browser-page-new-${run}`, payload: { simulate: 'succeed' } });
    await pollUntil(async () => (await page.locator('.updated').textContent()) !== updatedBefore, {
      timeoutMs: 15_000,
      failure: () => 'the list did not refresh',
    });

    expect(await page.locator('.page-label').textContent(), 'still on the page the user chose').to.equal('Page 2');
    const secondPage = await page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-task-id')));
    expect(
      secondPage.filter((id) => firstPage.includes(id)),
      'page 2 repeats nothing of page 1',
    ).to.deep.equal([]);
    await page.locator('#page-newer').click();
    await page.locator(`tbody tr[data-task-id="browser-page-new-${run}"]`).first().waitFor({ timeout: 15_000 });
  });

  it('moves between status tabs with the arrow keys, and opens a task with the keyboard', async () => {
    await page.goto(`${stack.baseUrl}/console#/tasks/SUCCEEDED`);
    await page.locator('#tab-SUCCEEDED').focus();

    await page.keyboard.press('ArrowRight');
    await page.waitForURL('**/console#/tasks/DEAD_LETTERED');
    await page.keyboard.press('End');
    await page.waitForURL('**/console#/tasks/CANCELLED');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL('**/console#/tasks/FAILED');
    await page.locator('tbody tr th a').first().focus();
    await page.keyboard.press('Enter');

    await page.waitForURL('**/console#/task/**');
    await page.locator('svg.timeline').waitFor();
  });

  it('labels every control', async () => {
    for (const hash of ['#/tasks/FAILED', '#/submit']) {
      await page.goto(`${stack.baseUrl}/console${hash}`);
      await page.locator('main section').first().waitFor();
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('main input, main select, main textarea, main button')]
          .filter((control: { labels?: unknown[]; textContent: string | null; getAttribute(name: string): string | null }) => {
            const hasLabel =
              (control.labels?.length ?? 0) > 0 || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
            return !hasLabel && !(control.textContent ?? '').trim();
          })
          .map((control: { outerHTML: string }) => control.outerHTML.slice(0, 80)),
      );
      expect(unlabelled, hash).to.deep.equal([]);
    }
  });

  it('fits a narrow (mobile) screen: no sideways scrolling, the list as cards', async () => {
    const narrow = await newPage(390, 844);
    await connect(narrow);
    await narrow.goto(`${stack.baseUrl}/console#/tasks/SUCCEEDED`);
    await narrow.locator('tbody tr').first().waitFor();

    const layout = await narrow.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      rowDisplay: getComputedStyle(document.querySelector('tbody tr')!).display,
    }));
    expect(layout).to.deep.equal({ overflow: 0, rowDisplay: 'block' });
    await screenshot(narrow, 'console-narrow');
    await narrow.close();
  });

  it('says when the API cannot be reached, and recovers when it answers again', async () => {
    await page.goto(`${stack.baseUrl}/console#/tasks/FAILED`);
    await page.locator('tbody tr').first().waitFor();
    await page.route(`${stack.baseUrl}/tasks**`, (route) => route.abort('connectionrefused'));

    await page.locator('#banner', { hasText: `Cannot reach the API at ${stack.baseUrl}` }).waitFor({ timeout: 20_000 });
    await page.unroute(`${stack.baseUrl}/tasks**`);
    await page.locator('#banner').waitFor({ state: 'hidden', timeout: 20_000 });
  });

  it('shows the 403 state for a wrong key, at the prompt and for a key that stops working', async () => {
    const tab = await newPage();
    await connect(tab, 'not-the-key-0123456789');
    await tab.locator('#key-error', { hasText: 'The API answered 403 INVALID_API_KEY: this key is not accepted.' }).waitFor();
    expect(await tab.evaluate(() => sessionStorage.length), 'a refused key is not kept').to.equal(0);

    await tab.evaluate(() => sessionStorage.setItem('task-pipeline.console.apiKey', 'revoked-key-0123456789'));
    await tab.reload();
    await tab.locator('#state-forbidden', { hasText: 'The API refused the key' }).waitFor();
    await tab.close();
  });

  it('never puts the API key in a URL or the browser console', () => {
    expect(requestUrls.length).to.be.greaterThan(0);
    expect(requestUrls.filter((url) => url.includes(stack.apiKey))).to.deep.equal([]);
    expect(consoleLines.filter((line) => line.includes(stack.apiKey))).to.deep.equal([]);
  });
});
