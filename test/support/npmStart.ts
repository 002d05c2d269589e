/**
 * `npm start` for a suite that drives the whole local stack from outside (the browser tests):
 * devstack's startStackProcess on free ports with a known API key, stopped with Ctrl-C's SIGINT
 * (and SIGKILL for whatever is left).
 */
import crypto from 'node:crypto';
import { startStackProcess } from '../../devstack';

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
  const stack = await startStackProcess({
    apiKey: `test-key-${runId}-0123456789`,
    marker: { name: 'NPM_START_TEST_RUN', value: runId },
    timeoutMs: options.readyTimeoutMs ?? 140_000,
  });
  return {
    baseUrl: stack.baseUrl,
    apiKey: stack.apiKey,
    ports: stack.ports,
    output: () => stack.process.output(),
    stop: () => stack.process.stop(20_000),
  };
}
