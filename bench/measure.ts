/** What the bench's measurements share: elapsed time, and payloads of a given size. */

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

/** Every process the bench starts carries BENCH_RUN=<run id> in its environment: how leftovers are found and stopped. */
export const MARKER = 'BENCH_RUN';
