/**
 * `npm start` for a suite that drives the whole local stack from outside (the browser
 * tests): started on free ports with a known API key, in its own process group as a
 * terminal gives it, and stopped with Ctrl-C's SIGINT (SIGKILL to whatever is left).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { freePort } from './localServers';
import { eventually, processesWithEnv } from './processes';

const ROOT = path.resolve(__dirname, '..', '..');
/** Every process of the stack inherits this variable: how stop() finds what is left. */
const MARKER = 'NPM_START_TEST_RUN';

export interface NpmStart {
  baseUrl: string;
  apiKey: string;
  ports: { dynamoDb: number; sqs: number; http: number; lambda: number };
  /** Everything the stack printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the stack and resolves once it says `Local stack ready` (rejects with its output's tail otherwise). */
export async function startNpmStart(options: { readyTimeoutMs?: number } = {}): Promise<NpmStart> {
  const runId = crypto.randomBytes(6).toString('hex');
  const apiKey = `test-key-${runId}-0123456789`;
  const [dynamoDb, sqs, http, lambda] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  let output = '';
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LOCAL_DYNAMODB_PORT: String(dynamoDb),
      LOCAL_SQS_PORT: String(sqs),
      LOCAL_HTTP_PORT: String(http),
      LOCAL_LAMBDA_PORT: String(lambda),
      LOCAL_API_KEY: apiKey,
      NO_COLOR: '1',
      [MARKER]: runId,
    },
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
      clearTimeout(timer);
    }
    await eventually(() => processesWithEnv(MARKER, runId).length === 0, { timeoutMs: 10_000, describe: () => '' }).catch(() => {
      for (const pid of processesWithEnv(MARKER, runId)) process.kill(pid, 'SIGKILL');
    });
  };

  const timeoutMs = options.readyTimeoutMs ?? 140_000;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output.slice(-3000)}`))),
  );
  try {
    await Promise.race([
      exited,
      eventually(() => output.includes('Local stack ready'), {
        timeoutMs,
        describe: () => `npm start was not ready in ${timeoutMs / 1000} s:\n${output.slice(-3000)}`,
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl: `http://127.0.0.1:${http}`, apiKey, ports: { dynamoDb, sqs, http, lambda }, output: () => output, stop };
}
