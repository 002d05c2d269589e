import path from 'node:path';
import readline from 'node:readline';
import { LocalStackError, spawnManaged, type ManagedProcess } from './processes';
import { PROJECT_ROOT, SERVERLESS_BIN } from './serverlessConfig';

export interface ServerlessOfflineOptions {
  stage: string;
  /** Added to this process's environment; serverless.yml and the functions read it. */
  env: Record<string, string>;
  /** Every line serverless-offline and the functions print. */
  onLine: (line: string) => void;
  timeoutMs?: number;
  /** Stops the start-up (and the process) when the rest of the stack failed to start. */
  signal?: AbortSignal;
}

/**
 * Runs `serverless offline start` (compiles the TypeScript handlers, serves the HTTP API and
 * the Lambda invoke API) as a process group of its own, and resolves once it reports
 * "Server ready". Functions' output lines are tagged with their key by tagWorkerOutput.js.
 */
export async function startServerlessOffline(options: ServerlessOfflineOptions): Promise<ManagedProcess> {
  const proc = spawnManaged(
    'serverless-offline',
    process.execPath,
    ['--require', path.join(__dirname, 'tagWorkerOutput.js'), SERVERLESS_BIN, 'offline', 'start', '--stage', options.stage],
    { cwd: PROJECT_ROOT, env: { ...process.env, ...options.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' } },
  );
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  for (const stream of [proc.child.stdout!, proc.child.stderr!]) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      if (line.includes('Server ready:')) markReady();
      options.onLine(line);
    });
  }
  const timeoutMs = options.timeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    proc.exited.then((code) => `exited (${code})`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`not ready after ${timeoutMs / 1000}s`), timeoutMs);
      onAbort = () => resolve('start-up cancelled');
      options.signal?.addEventListener('abort', onAbort);
      if (options.signal?.aborted) onAbort();
    }),
  ]);
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  if (outcome !== 'ready') {
    await proc.stop();
    const last = proc
      .recentOutput()
      .filter((line) => !/^\s*$/.test(line))
      .slice(-3)
      .join(' / ');
    throw new LocalStackError(`serverless offline ${outcome}: ${last || 'no output'}`);
  }
  return proc;
}
