/**
 * Submit latency against the local HTTP API: boots the `npm start` stack (DynamoDB Local,
 * fauxqs, serverless-offline with the API key, pollers) as a child process on free ports,
 * as test/e2e does, then times POST /tasks at concurrency 1 and 16. The stack's pollers
 * process the submitted tasks meanwhile, as they would in use.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { freePort } from '../devstack/processes';
import { spawnChild } from './children';
import { mapLimit, msSince, payloadOfSize, quantile, seededRandom, sleep } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface LatencySeries {
  concurrency: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  requestsPerSecond: number;
}

export interface LatencyResult {
  bootSeconds: number;
  /** The first request after boot: serverless-offline loads the handler (a local cold start). */
  firstRequestMs: number;
  payloadBytes: number;
  series: LatencySeries[];
}

export async function measureLatency(options: {
  runId: string;
  seed: number;
  payloadBytes: number;
  warmup: number;
  plan: { concurrency: number; requests: number }[];
  log: (line: string) => void;
}): Promise<LatencyResult> {
  const [dynamoDb, sqs, http, lambda] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const apiKey = `bench-${crypto.randomBytes(12).toString('hex')}`;
  const baseUrl = `http://127.0.0.1:${http}`;
  const startedAt = Date.now();
  const stack = spawnChild(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start'], `${options.runId}-stack`, {
    cwd: ROOT,
    env: {
      ...process.env,
      LOCAL_DYNAMODB_PORT: String(dynamoDb),
      LOCAL_SQS_PORT: String(sqs),
      LOCAL_HTTP_PORT: String(http),
      LOCAL_LAMBDA_PORT: String(lambda),
      LOCAL_API_KEY: apiKey,
      NO_COLOR: '1',
    },
  });
  try {
    const deadline = Date.now() + 240_000;
    while (!stack.output().includes('Local stack ready')) {
      const exited = await Promise.race([stack.exited.then((code) => `exited (${code})`), sleep(200).then(() => undefined)]);
      if (exited) throw new Error(`npm start ${exited} before it was ready:\n${stack.output().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`npm start was not ready in 240 s:\n${stack.output().slice(-2000)}`);
    }
    const bootSeconds = (Date.now() - startedAt) / 1000;
    options.log(`npm start ready in ${bootSeconds.toFixed(1)} s (${baseUrl})`);

    const random = seededRandom(options.seed);
    const payload = payloadOfSize(options.payloadBytes, random);
    let counter = 0;
    const post = async (): Promise<{ ms: number; ok: boolean }> => {
      const taskId = `lat-${options.runId}-${String(counter++).padStart(6, '0')}`;
      const start = process.hrtime.bigint();
      try {
        const response = await fetch(`${baseUrl}/tasks`, {
          method: 'POST',
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({ taskId, payload }),
        });
        await response.text();
        return { ms: msSince(start), ok: response.status === 202 };
      } catch {
        return { ms: msSince(start), ok: false };
      }
    };

    const first = await post();
    if (!first.ok) throw new Error(`the first POST /tasks failed; npm start output:\n${stack.output().slice(-2000)}`);

    const series: LatencySeries[] = [];
    for (const { concurrency, requests } of options.plan) {
      // serverless-offline runs each concurrent invocation in a worker of its own and starts a
      // worker (a local cold start) the first time a concurrency level is reached: warm them.
      await mapLimit(Array.from({ length: Math.max(options.warmup, 2 * concurrency) }), concurrency, () => post());
      const start = process.hrtime.bigint();
      const results = await mapLimit(Array.from({ length: requests }), concurrency, () => post());
      const seconds = msSince(start) / 1000;
      const times = results.filter((r) => r.ok).map((r) => r.ms);
      series.push({
        concurrency,
        requests,
        errors: results.filter((r) => !r.ok).length,
        p50: quantile(times, 0.5),
        p95: quantile(times, 0.95),
        p99: quantile(times, 0.99),
        max: Math.max(...times),
        requestsPerSecond: requests / seconds,
      });
      options.log(`concurrency ${concurrency}: ${requests} requests in ${seconds.toFixed(1)} s`);
    }
    return { bootSeconds, firstRequestMs: first.ms, payloadBytes: options.payloadBytes, series };
  } finally {
    await stack.stop();
  }
}
