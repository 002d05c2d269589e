/** Small numeric and concurrency helpers shared by the bench modules. */

/** Deterministic uniform draws in [0, 1): the seeded source of the simulated failures. */
export { seededRandom } from '../lib/domain/random';

/** The q-quantile (0..1) of `values` by the nearest-rank method; NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const median = (values: number[]) => quantile(values, 0.5);

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Bounded parallel map: one helper for lib/ and the bench. */
export { mapLimit } from '../lib/domain/concurrency';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** A JSON task payload whose serialisation is exactly `bytes` long, filled with seeded letters (not compressible to nothing). */
export function payloadOfSize(bytes: number, random: () => number): Record<string, unknown> {
  const overhead = JSON.stringify({ data: '' }).length;
  if (bytes < overhead) throw new Error(`a payload cannot be smaller than ${overhead} bytes`);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let data = '';
  for (let i = 0; i < bytes - overhead; i++) data += alphabet[Math.floor(random() * alphabet.length)];
  return { data };
}

/** Resolves once `check` returns true; rejects with `what` after timeoutMs. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: () => string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(what());
    await sleep(intervalMs);
  }
}
