/**
 * The byPhase index's write trace: which index partition key (`<phase>#<shard>`) each
 * successful state write touches, read from the write itself (its new `phase`, or a REMOVE of
 * it) and from the key this task last had. Moving a task's keys costs the index a delete on the
 * old key and a put on the new one; a write that leaves `phase` alone costs the index nothing.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's documented ceiling of one partition: about 1,000 write units per second. */
export const PARTITION_WRITES_PER_SECOND = 1000;

export interface HottestKey {
  key: string;
  /** Index writes of the run, all keys. */
  writes: number;
  /** Share of them on the hottest key. */
  share: number;
  /** Share of its own phase's index writes on the hottest key: 1/N expected with N shards. */
  shareOfPhase: number;
  /** Shards of the hottest key's phase seen in the trace. */
  shardsSeen: number;
  /** Writes per second the hottest key would take at `tasksPerSecond` with the run's mix of outcomes. */
  writesPerSecondAt: number;
  tasksPerSecond: number;
}

export class IndexWriteTrace {
  /** The index key each task has now (by pk), as far as the trace has seen. */
  private keyOf = new Map<string, string | undefined>();
  private writes = new Map<string, number>();

  // biome-ignore lint/suspicious/noExplicitAny: an SDK command input, read field by field.
  record(operation: string, input: Record<string, any>): void {
    const pk: string | undefined = input.Item?.pk?.S ?? input.Key?.pk?.S;
    const sk: string | undefined = input.Item?.sk?.S ?? input.Key?.sk?.S;
    if (!pk || sk !== 'STATE') return;
    let next: string | undefined;
    if (operation === 'PutItem') next = (input.Item as Record<string, AttributeValue>).phase?.S;
    else if (operation === 'UpdateItem') {
      const expression = String(input.UpdateExpression ?? '');
      const phase: string | undefined = input.ExpressionAttributeValues?.[':phase']?.S;
      if (phase) next = phase;
      else if (/REMOVE .*\bphase\b/.test(expression)) next = undefined;
      else return;
    } else return;
    const previous = this.keyOf.get(pk);
    if (previous) this.add(previous);
    if (next) this.add(next);
    this.keyOf.set(pk, next);
  }

  private add(key: string): void {
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
  }

  /** Index writes by partition key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.writes);
  }

  reset(): void {
    this.writes.clear();
  }
}

/** The hottest key of a run's trace and the rate it would take at `tasksPerSecond` (undefined for an empty trace). */
export function hottestKey(writes: Record<string, number>, tasks: number, tasksPerSecond = 10_000): HottestKey | undefined {
  const entries = Object.entries(writes);
  if (entries.length === 0 || tasks === 0) return undefined;
  const [key, most] = entries.reduce((a, b) => (b[1] > a[1] ? b : a));
  const total = entries.reduce((n, [, w]) => n + w, 0);
  const phase = key.split('#')[0];
  const samePhase = entries.filter(([k]) => k.split('#')[0] === phase);
  const phaseTotal = samePhase.reduce((n, [, w]) => n + w, 0);
  return {
    key,
    writes: total,
    share: most / total,
    shareOfPhase: most / phaseTotal,
    shardsSeen: samePhase.length,
    writesPerSecondAt: (most / tasks) * tasksPerSecond,
    tasksPerSecond,
  };
}

/** One line: the hottest key's share of the run's index writes and what it would take at scale. */
export function formatHottestKey(run: string, h: HottestKey): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return (
    `${run} index writes: hottest key ${h.key} took ${pct(h.share)} of ${h.writes} (${pct(h.shareOfPhase)} of its phase over ` +
    `${h.shardsSeen} shards); at ${h.tasksPerSecond.toLocaleString('en-US')} tasks/s it would take ${Math.round(h.writesPerSecondAt).toLocaleString('en-US')} ` +
    `writes/s (a partition takes about ${PARTITION_WRITES_PER_SECOND.toLocaleString('en-US')})`
  );
}
