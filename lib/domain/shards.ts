import { mapLimit } from './concurrency';

/** Shards of the byPhase index partition key when a stage does not choose (INDEX_SHARDS). */
export const DEFAULT_INDEX_SHARDS = 16;
/** Most shards a stage may ask for: a listing queries every one of them. */
export const MAX_INDEX_SHARDS = 256;
/** Shard queries in flight at once, for a listing or a sweep. */
export const SHARD_QUERY_CONCURRENCY = 16;

/** The shard of a task: FNV-1a of its taskId modulo `shards`, so a task's shard never changes. */
export function shardOf(taskId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(taskId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** The index partition key of a phase and shard: `<phase>#<shard>`. */
export const shardKey = (phase: string, shard: number) => `${phase}#${shard}`;

/** Where one shard's part of a merged listing resumes: after an entry, from its start, or nowhere (read to its end). */
export type ShardPosition<E> = { after: E } | 'start' | 'done';

/** One read of a shard: up to `limit` entries in listing order after `after` (from its start when undefined); `done` when none follow them. */
export type ShardRead<E> = (shard: number, after: E | undefined, limit: number) => Promise<{ entries: E[]; done: boolean }>;

export interface MergeOptions<E, T> {
  /** Each shard's position (all 'start' for a first page). */
  positions: ShardPosition<E>[];
  /** Items of a full page. */
  limit: number;
  read: ShardRead<E>;
  /** Negative when `a` comes before `b` in the listing. */
  compare: (a: E, b: E) => number;
  /** What each entry lists as (same order), or undefined for an entry the listing skips (another status, expired). */
  resolve: (entries: E[]) => Promise<(T | undefined)[]>;
}

/** A merged page, and each shard's position after it when more items follow. */
export interface MergedPage<E, T> {
  items: T[];
  positions?: ShardPosition<E>[];
}

interface ShardState<E> {
  /** Entries read and not yet taken. */
  buffer: E[];
  /** The last entry read: the next read starts after it. */
  readTo: E | undefined;
  /** The last entry the page consumed: where the next page resumes. */
  after: E | undefined;
  done: boolean;
}

/**
 * One page of a listing spread over shards, each already in listing order: a k-way merge that
 * reads the shards in parallel and holds exactly `limit` items while more remain. It looks one
 * item past the page, so a page that ends the listing carries no positions (no empty last page).
 */
export async function mergeShards<E, T>(options: MergeOptions<E, T>): Promise<MergedPage<E, T>> {
  const { limit, compare } = options;
  const batch = limit + 1;
  const shards: ShardState<E>[] = options.positions.map((p) => {
    const after = typeof p === 'object' ? p.after : undefined;
    return { buffer: [], readTo: after, after, done: p === 'done' };
  });
  const items: T[] = [];
  let positions: ShardPosition<E>[] | undefined;
  // A shard is read to its end once it is done and none of its entries waits unconsumed.
  const snapshot = (pending: Set<number>) =>
    shards.map(
      (s, i): ShardPosition<E> =>
        s.done && s.buffer.length === 0 && !pending.has(i) ? 'done' : s.after !== undefined ? { after: s.after } : 'start',
    );
  for (;;) {
    const empty = shards.map((s, i) => ({ s, i })).filter(({ s }) => s.buffer.length === 0 && !s.done);
    await mapLimit(empty, SHARD_QUERY_CONCURRENCY, async ({ s, i }) => {
      const { entries, done } = await options.read(i, s.readTo, batch);
      s.buffer = entries;
      s.readTo = entries.at(-1) ?? s.readTo;
      s.done = done || entries.length === 0;
    });
    // Take entries in merged order while every unfinished shard still has one to compare.
    const taken: { entry: E; shard: number }[] = [];
    const wanted = positions ? batch : limit + 1 - items.length;
    while (taken.length < wanted && shards.every((s) => s.buffer.length > 0 || s.done)) {
      let best = -1;
      for (let i = 0; i < shards.length; i++) {
        if (shards[i].buffer.length === 0) continue;
        if (best < 0 || compare(shards[i].buffer[0], shards[best].buffer[0]) < 0) best = i;
      }
      if (best < 0) break;
      taken.push({ entry: shards[best].buffer.shift()!, shard: best });
    }
    // Every shard read to its end: nothing follows this page.
    if (taken.length === 0) return { items };
    const resolved = await options.resolve(taken.map((t) => t.entry));
    for (let k = 0; k < taken.length; k++) {
      const item = resolved[k];
      if (positions) {
        // Past the page: one more item means the listing goes on.
        if (item !== undefined) return { items, positions };
        continue;
      }
      shards[taken[k].shard].after = taken[k].entry;
      if (item === undefined) continue;
      items.push(item);
      if (items.length === limit) {
        positions = snapshot(new Set(taken.slice(k + 1).map((t) => t.shard)));
        // What else this round took is past the page: look there first.
        for (const rest of resolved.slice(k + 1)) if (rest !== undefined) return { items, positions };
        break;
      }
    }
  }
}
