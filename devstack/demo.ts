import crypto from 'node:crypto';
import { accepted, submitInBatches, type Clock } from '../cli/bulkSubmit';
import { ConnectionError, MAX_BATCH_TASKS, TasksClient, type BatchTask } from '../cli/client';
import { UsageError, intOption, parseCommandLine } from '../tools/args';
import { mapLimit } from '../lib/domain/concurrency';
import { sleep } from '../tools/poll';
import { summary } from '../tools/stats';
import { outcomeRows, observedDelays, TERMINAL, twoSigmaRange, type TaskSnapshot } from './demoStats';
import { palette } from './logLines';
import { LocalStackError } from './processes';
import { loadServerlessConfig, numericParam } from './serverlessConfig';
import { readStackInfo, type StackInfo } from './stackFile';

const STAGE = 'local';
const USAGE = `usage: npm run demo -- [--tasks N] [--concurrency N] [--batch N] [--type NAME] [--payload JSON] [--base-url URL] [--timeout SECONDS]
Submits N tasks to the stack of \`npm start\`, waits until all are SUCCEEDED or FAILED, and compares
outcomes and retry delays with serverless.yml's local params. --type submits tasks of another
task type (docs/task-types.md; e.g. wordCount, or webhook with --payload '{"url":"http://127.0.0.1:PORT/"}')
and reports their outcomes and a result instead; --payload is each task's payload. --batch N submits
through POST /tasks/batch, N tasks a request (1-${MAX_BATCH_TASKS}), as \`tasks submit --file\` does, instead of one POST each. The API key is LOCAL_API_KEY, else
the one the running \`npm start\` wrote to .local/stack.json; the URL likewise (or --base-url,
LOCAL_BASE_URL, LOCAL_HTTP_PORT).`;

export interface Options {
  tasks: number;
  concurrency: number;
  /** Tasks per POST /tasks/batch; undefined submits one POST /tasks per task. */
  batch?: number;
  baseUrl: string;
  timeoutSeconds: number;
  apiKey: string;
  /** A task type other than the default; undefined submits the default type and checks its statistics. */
  type?: string;
  payload?: Record<string, unknown>;
}

/** The demo's options from its command line, the environment and the record `npm start` wrote. */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  stack: StackInfo | undefined = readStackInfo(),
): Options {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      tasks: { type: 'string' },
      concurrency: { type: 'string' },
      batch: { type: 'string' },
      'base-url': { type: 'string' },
      timeout: { type: 'string' },
      type: { type: 'string' },
      payload: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const apiKey = env.LOCAL_API_KEY || stack?.apiKey;
  if (!apiKey) throw new LocalStackError('no API key: start the stack with `npm start` first, or set LOCAL_API_KEY to the key it printed');
  const defaultUrl = env.LOCAL_HTTP_PORT ? `http://127.0.0.1:${env.LOCAL_HTTP_PORT}` : (stack?.baseUrl ?? 'http://127.0.0.1:3000');
  return {
    tasks: intOption('tasks', values.tasks, 200, 1),
    concurrency: intOption('concurrency', values.concurrency, 8, 1),
    ...(values.batch !== undefined ? { batch: intOption('batch', values.batch, MAX_BATCH_TASKS, 1, MAX_BATCH_TASKS) } : {}),
    baseUrl: (values['base-url'] ?? env.LOCAL_BASE_URL ?? defaultUrl).replace(/\/+$/, ''),
    timeoutSeconds: intOption('timeout', values.timeout, 300, 1),
    apiKey,
    ...(values.type && values.type !== 'simulated' ? { type: values.type } : {}),
    ...(values.payload !== undefined ? { payload: jsonObject(values.payload) } : {}),
  };
}

function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--payload is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--payload must be a JSON object');
  return value as Record<string, unknown>;
}

/** A task's payload: --payload, else one that suits the type (wordCount counts a sentence). */
function payloadOf(options: Options, runId: string): Record<string, unknown> {
  if (options.payload) return options.payload;
  if (options.type === 'wordCount') return { text: `demo run ${runId}: the quick brown fox jumps over the lazy dog` };
  return { demo: runId };
}

/** What one submission came to: the task as the API answered it (202 or 200), or why it was not accepted. */
export type SubmitAnswer = { taskId: string; task: TaskSnapshot } | { taskId: string; rejected: string };

/** How the demo reaches the API: a POST /tasks of one task, and the client the batch code uses. */
export interface DemoApi {
  post(body: BatchTask): Promise<{ status: number; body: unknown }>;
  client: Pick<TasksClient, 'submitBatch'>;
  clock: Clock;
}

/**
 * Submits the demo's tasks: one POST /tasks each, `concurrency` at a time, or with --batch through
 * `tasks submit --file`'s code (POST /tasks/batch, its byte limit and its retries).
 */
export async function submitTasks(
  tasks: BatchTask[],
  options: Pick<Options, 'concurrency' | 'batch' | 'baseUrl'>,
  api: DemoApi,
  onAnswer: (answer: SubmitAnswer) => void,
): Promise<void> {
  const taskIdOf = (task: BatchTask) => String(task.taskId);
  if (options.batch === undefined) {
    await mapLimit(tasks, options.concurrency, async (task) => {
      const { status, body } = await api.post(task);
      if (status === 202 || status === 200) onAnswer({ taskId: taskIdOf(task), task: body as TaskSnapshot });
      else onAnswer({ taskId: taskIdOf(task), rejected: `${taskIdOf(task)}: HTTP ${status} ${JSON.stringify(body)}` });
    });
    return;
  }
  const lines = tasks.map((task, i) => ({ line: i + 1, task }));
  const result = await submitInBatches(api.client, lines, { batchSize: options.batch, inFlight: options.concurrency, clock: api.clock });
  if (result.fatal instanceof ConnectionError)
    throw new LocalStackError(`nothing answers at ${options.baseUrl}: start the stack with \`npm start\` first`);
  if (result.fatal) throw result.fatal;
  for (const [i, outcome] of result.outcomes.entries()) {
    const taskId = taskIdOf(tasks[i]);
    if (accepted(outcome) && outcome.task) onAnswer({ taskId, task: outcome.task });
    else onAnswer({ taskId, rejected: `${taskId}: HTTP ${outcome.statusCode} ${JSON.stringify(outcome.error)}` });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const colors = palette(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  const headers = { 'x-api-key': options.apiKey, 'content-type': 'application/json' };
  const config = loadServerlessConfig(STAGE);
  config.catch(() => undefined);

  const request = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> => {
    try {
      const response = await fetch(`${options.baseUrl}${path}`, { ...init, headers });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      if (cause === 'ECONNREFUSED')
        throw new LocalStackError(`nothing answers at ${options.baseUrl}: start the stack with \`npm start\` first`);
      throw error;
    }
  };

  const probe = await request('/tasks/demo-probe');
  if (probe.status === 403) throw new LocalStackError(`the API refused the key in LOCAL_API_KEY (403): use the key \`npm start\` printed`);

  const runId = crypto.randomBytes(3).toString('hex');
  const ids = Array.from({ length: options.tasks }, (_, i) => `demo-${runId}-${String(i + 1).padStart(4, '0')}`);
  const latest = new Map<string, TaskSnapshot>();
  const rejected: string[] = [];
  let submitted = 0;
  const startedAt = Date.now();

  const interactive = Boolean(process.stderr.isTTY);
  let lastPlainRender = 0;
  const render = (final = false) => {
    const done = [...latest.values()].filter((task) => TERMINAL.has(task.status));
    const succeeded = done.filter((task) => task.status === 'SUCCEEDED').length;
    const width = 30;
    const filled = Math.round((done.length / options.tasks) * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done.length}/${options.tasks} finished | submitted ${submitted}/${options.tasks} | succeeded ${succeeded} | failed ${done.length - succeeded} | ${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
    if (interactive) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || Date.now() - lastPlainRender > 2000) {
      lastPlainRender = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
  const ticker = setInterval(render, 200);

  const batches = options.batch ? `, batches of ${options.batch}` : '';
  console.log(
    `Submitting ${options.tasks} tasks to ${options.baseUrl} (run ${runId}, ${options.concurrency} requests at a time${batches})`,
  );
  const toSubmit = ids.map((taskId) => ({ taskId, payload: payloadOf(options, runId), ...(options.type ? { type: options.type } : {}) }));
  const api: DemoApi = {
    post: (task) => request('/tasks', { method: 'POST', body: JSON.stringify(task) }),
    client: new TasksClient({ baseUrl: options.baseUrl, apiKey: options.apiKey }),
    clock: { now: Date.now, sleep },
  };
  await submitTasks(toSubmit, options, api, (answer) => {
    submitted++;
    if ('task' in answer) latest.set(answer.taskId, answer.task);
    else rejected.push(answer.rejected);
  });

  const deadline = startedAt + options.timeoutSeconds * 1000;
  let pending = [...latest.keys()];
  while (pending.length > 0 && Date.now() < deadline) {
    await mapLimit(pending, options.concurrency, async (taskId) => {
      const { status, body } = await request(`/tasks/${encodeURIComponent(taskId)}`);
      if (status === 200) latest.set(taskId, body as TaskSnapshot);
    });
    pending = pending.filter((taskId) => !TERMINAL.has(latest.get(taskId)!.status));
    if (pending.length > 0) await sleep(500);
  }
  clearInterval(ticker);
  render(true);

  const elapsed = (Date.now() - startedAt) / 1000;
  if (options.type) {
    typedReport(options, [...latest.values()], rejected, elapsed, colors);
    return;
  }
  const resolved = await config;
  const p = numericParam(resolved, STAGE, 'failureRate');
  const base = numericParam(resolved, STAGE, 'backoffBaseSeconds');
  const tasks = [...latest.values()];
  const finished = tasks.filter((task) => TERMINAL.has(task.status));
  const maxAttempts = tasks[0]?.maxAttempts ?? 3;
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;

  const out: string[] = [''];
  out.push(
    colors.bold(
      `${finished.length} of ${options.tasks} tasks finished in ${elapsed.toFixed(1)}s; failureRate p = ${p} (params.${STAGE}), maxAttempts ${maxAttempts}`,
    ),
  );
  out.push(
    `  ${'outcome'.padEnd(24)} ${'count'.padStart(6)} ${'share'.padStart(7)} ${'expected'.padStart(9)}  ${'formula'.padEnd(9)} 95% range of the count`,
  );
  for (const row of outcomeRows(finished, p, maxAttempts)) {
    const [low, high] = twoSigmaRange(finished.length, row.expectedShare);
    const inRange = row.count >= low && row.count <= high;
    const share = finished.length > 0 ? row.count / finished.length : 0;
    out.push(
      `  ${row.label.padEnd(24)} ${String(row.count).padStart(6)} ${pct(share).padStart(7)} ${pct(row.expectedShare).padStart(9)}  ${row.formula.padEnd(9)} ${low}-${high} ${inRange ? colors.green('ok') : colors.yellow('outside (rare, or a bug)')}`,
    );
  }

  out.push(
    '',
    colors.bold(`Retry delays (RETRY_SCHEDULED -> next PROCESSING); backoffBaseSeconds ${base} (params.${STAGE}), doubling per retry`),
  );
  const delays = observedDelays(finished);
  for (let retry = 1; retry < maxAttempts; retry++) {
    const configured = base * 2 ** (retry - 1);
    const ofRetry = delays.filter((delay) => delay.retry === retry);
    const stats = summary(ofRetry.map((delay) => delay.observedSeconds));
    const mismatched = ofRetry.filter((delay) => delay.scheduledSeconds !== undefined && delay.scheduledSeconds !== configured).length;
    const observed = stats
      ? `observed n=${stats.n} min ${stats.min.toFixed(2)}s median ${stats.median.toFixed(2)}s p95 ${stats.p95.toFixed(2)}s max ${stats.max.toFixed(2)}s`
      : 'observed: none';
    out.push(
      `  retry ${retry}: configured ${configured}s | ${observed}${mismatched ? colors.yellow(` | ${mismatched} events scheduled another delay`) : ''}`,
    );
  }
  out.push('  (observed = the DelaySeconds + up to maximumBatchingWindow + polling and invocation time, so a little above configured)');

  const failed = finished.filter((task) => task.status === 'FAILED').length;
  out.push(
    '',
    `DLQ monitor: ${failed} TASK_FAILED line${failed === 1 ? '' : 's'} expected in the \`npm start\` terminal, tagged monitorDlq (in red), one per failed task of run ${runId}.`,
  );
  const unfinished = tasks.filter((task) => !TERMINAL.has(task.status));
  if (unfinished.length > 0) {
    const byStatus: Record<string, number> = {};
    for (const task of unfinished) byStatus[task.status] = (byStatus[task.status] ?? 0) + 1;
    out.push(
      colors.yellow(
        `${unfinished.length} tasks did not finish within ${options.timeoutSeconds}s: ${JSON.stringify(byStatus)}, e.g. ${unfinished[0].taskId}`,
      ),
    );
  }
  if (rejected.length > 0) out.push(colors.yellow(`${rejected.length} submissions were rejected, e.g. ${rejected[0]}`));
  console.log(out.join('\n'));
  if (unfinished.length > 0 || rejected.length > 0) process.exitCode = 1;
}

/** What a run of another task type came to: outcomes by status, and a result and an error to look at. */
function typedReport(
  options: Options,
  tasks: (TaskSnapshot & { result?: unknown; lastError?: { name: string; message: string } | null })[],
  rejected: string[],
  elapsed: number,
  colors: ReturnType<typeof palette>,
): void {
  const byStatus: Record<string, number> = {};
  for (const task of tasks) byStatus[task.status] = (byStatus[task.status] ?? 0) + 1;
  const out = ['', colors.bold(`${tasks.length} '${options.type}' tasks in ${elapsed.toFixed(1)}s: ${JSON.stringify(byStatus)}`)];
  const succeeded = tasks.find((task) => task.status === 'SUCCEEDED');
  if (succeeded)
    out.push(`  e.g. ${succeeded.taskId} returned ${JSON.stringify(succeeded.result ?? null)} after ${succeeded.attempts} attempt(s)`);
  const failed = tasks.find((task) => task.status === 'FAILED');
  if (failed?.lastError) out.push(`  e.g. ${failed.taskId} FAILED: ${failed.lastError.name}: ${failed.lastError.message}`);
  if (rejected.length > 0) out.push(colors.yellow(`${rejected.length} submissions were rejected, e.g. ${rejected[0]}`));
  console.log(out.join('\n'));
  const unfinished = tasks.filter((task) => !TERMINAL.has(task.status)).length;
  if (unfinished > 0 || rejected.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const message =
      error instanceof UsageError
        ? `${error.message}\n${USAGE}`
        : error instanceof LocalStackError
          ? error.message
          : ((error as Error).stack ?? String(error));
    console.error(`\nnpm run demo: ${message}`);
    process.exit(1);
  });
}
