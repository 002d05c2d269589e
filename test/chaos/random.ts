import { seededRandom } from '../../lib/domain/random';

/** The seeded PRNG of lib/domain/random.ts, under the name the suite uses. */
export const mulberry32 = seededRandom;

/** FNV-1a hash of a string, 32 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A uniform draw in [0, 1) fixed by the seed and a key naming the decision (the operation,
 * the task, how many times it happened before). Decisions keyed this way do not depend on
 * the order in which concurrent calls happen to draw, so a seed replays the same faults.
 */
export function keyedUniform(seed: number, key: string): number {
  return mulberry32((fnv1a(key) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0)();
}

/** A seed from the environment value, or a fresh one. */
export function parseSeed(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`CHAOS_SEED must be an integer in [0, 2^32), got '${raw}'`);
  return seed;
}
