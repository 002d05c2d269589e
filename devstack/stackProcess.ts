import path from 'node:path';
import { pollUntil } from '../tools/poll';
import { freePort, spawnManaged, type ManagedProcess } from './processes';

/** `npm start` running as a child process, on ports of its own. */
export interface StackProcess {
  process: ManagedProcess;
  /** The local API Gateway, e.g. http://127.0.0.1:41234. */
  baseUrl: string;
  apiKey: string;
  ports: { dynamoDb: number; sqs: number; http: number; lambda: number };
  /** From the spawn to the "Local stack ready" line. */
  bootSeconds: number;
}

interface StackProcessOptions {
  apiKey: string;
  /** Put in the environment of every process of the stack: how leftovers are found (see ManageOptions.marker). */
  marker: { name: string; value: string };
  timeoutMs: number;
  /** Every chunk the stack writes, from the start (the banner and the functions' log lines included). */
  onOutput?: (text: string) => void;
}

/**
 * Runs `npm start` as a terminal would (a process group of its own, so Ctrl-C is a SIGINT to the
 * group, which stop() sends) on free ports, without colours, and resolves once it printed that
 * it is ready. If it exits or is not ready in time, it is stopped and the error holds its last output.
 */
export async function startStackProcess(options: StackProcessOptions): Promise<StackProcess> {
  const [dynamoDb, sqs, http, lambda] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const startedAt = Date.now();
  const proc = spawnManaged('npm start', process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start'], {
    cwd: path.resolve(__dirname, '..'),
    env: {
      ...process.env,
      LOCAL_DYNAMODB_PORT: String(dynamoDb),
      LOCAL_SQS_PORT: String(sqs),
      LOCAL_HTTP_PORT: String(http),
      LOCAL_LAMBDA_PORT: String(lambda),
      LOCAL_API_KEY: options.apiKey,
      NO_COLOR: '1',
    },
    marker: options.marker,
    stopSignal: 'SIGINT',
  });
  if (options.onOutput) {
    const forward = (chunk: Buffer) => options.onOutput!(chunk.toString('utf8'));
    proc.child.stdout?.on('data', forward);
    proc.child.stderr?.on('data', forward);
  }
  let exitCode: number | string | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  try {
    await pollUntil(() => proc.output().includes('Local stack ready'), {
      timeoutMs: options.timeoutMs,
      intervalMs: 200,
      abort: proc.exited,
      failure: () =>
        exitCode !== undefined
          ? `npm start exited (${exitCode}) before it was ready:\n${proc.output().slice(-3000)}`
          : `npm start was not ready in ${options.timeoutMs / 1000} s:\n${proc.output().slice(-3000)}`,
    });
  } catch (error) {
    await proc.stop(20_000);
    throw error;
  }
  return {
    process: proc,
    baseUrl: `http://127.0.0.1:${http}`,
    apiKey: options.apiKey,
    ports: { dynamoDb, sqs, http, lambda },
    bootSeconds: (Date.now() - startedAt) / 1000,
  };
}
