/**
 * Submit latency against the local HTTP API: boots the `npm start` stack (DynamoDB Local,
 * fauxqs, serverless-offline with the API key, pollers) as a child process on free ports,
 * as test/e2e does, then times POST /tasks at concurrency 1 and 16. The stack's pollers
 * process the submitted tasks meanwhile, as they would in use.
 */
import crypto from 'node:crypto';
import { startStackProcess } from '../devstack';
import { seededRandom } from '../lib/domain/random';
import { mapLimit } from '../lib/domain/concurrency';
import { quantile } from '../tools/stats';
import { MARKER, msSince, payloadOfSize } from './measure';

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
  const apiKey = `bench-${crypto.randomBytes(12).toString('hex')}`;
  const stack = await startStackProcess({ apiKey, marker: { name: MARKER, value: `${options.runId}-stack` }, timeoutMs: 240_000 });
  const { baseUrl, bootSeconds } = stack;
  try {
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
    if (!first.ok) throw new Error(`the first POST /tasks failed; npm start output:\n${stack.process.output().slice(-2000)}`);

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
    await stack.process.stop(20_000);
  }
}
