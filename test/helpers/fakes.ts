import type { Config } from '../../lib/config';
import type { Deps } from '../../lib/deps';
import { MemoryLogger } from '../../lib/adapters/logger';
import { applyTransition, type Transition, type TransitionResult } from '../../lib/domain/stateMachine';
import type { DeadLetterMessage, TaskMessage, TaskState } from '../../lib/domain/task';
import type { QueueEntry, SendOutcome, TaskQueue } from '../../lib/adapters/taskQueue';
import { MessageRejectedError, TaskConflictError, ValidationError } from '../../lib/domain/errors';
import {
  decodeListCursor,
  encodeListCursor,
  phaseOf,
  taskKey,
  UNFINISHED,
  type CreateResult,
  type TaskPage,
  type TaskStore,
} from '../../lib/adapters/taskStore';
import { expiryAfter, isExpired } from '../../lib/domain/retention';
import { mergeShards, shardKey, shardOf } from '../../lib/domain/shards';
import type { MetricName, MetricsSink } from '../../lib/adapters/metrics';
import { isTerminal, type TaskStatus, type TaskSummary } from '../../lib/domain/task';
import { testConfig } from './factories';
import type { TaskType } from '../../lib/types/contract';
import { registryFor, TaskTypeRegistry } from '../../lib/types/registry';

/**
 * When a task entered its byPhase phase (the index's sort key): when it finished, for SUCCEEDED,
 * FAILED and CANCELLED; when it was submitted or last redriven, while unfinished.
 */
function phaseEnteredAt(task: TaskState): string {
  if (isTerminal(task.status)) return task.updatedAt;
  return [...task.history].reverse().find((e) => e.type === 'QUEUED' || e.type === 'REDRIVEN')?.at ?? task.createdAt;
}

interface IndexEntry {
  pk: string;
  phaseAt: string;
}

/**
 * A TaskStore in memory, applying transitions with the same gate semantics as the DynamoDB store.
 * Its index is the DynamoDB store's, derived from each task: `<phase>#<shard>` keys (none for
 * SUCCEEDED when the stage does not index it), merged across shards with the same code and cursors;
 * a finished task expires `retentionDays` after it finished.
 */
export class MemoryTaskStore implements TaskStore {
  readonly tasks = new Map<string, TaskState>();
  readonly payloads = new Map<string, string>();
  private readonly config: Config;
  private readonly clock: () => Date;

  constructor(options: { config?: Config; clock?: () => Date } = {}) {
    this.config = options.config ?? testConfig();
    this.clock = options.clock ?? (() => new Date());
  }

  /** Whether TTL would count this task as gone. */
  private expired(task: TaskState): boolean {
    const days = this.config.retentionDays;
    return days > 0 && isTerminal(task.status) && isExpired(expiryAfter(task.updatedAt, days * 86400), this.clock());
  }

  private live(taskId: string): TaskState | undefined {
    const task = this.tasks.get(taskId);
    return task && !this.expired(task) ? task : undefined;
  }

  /** The task's index key, or undefined when it is not in the index. */
  private indexKey(task: TaskState): string | undefined {
    if (task.status === 'SUCCEEDED' && !this.config.indexSucceeded) return undefined;
    return shardKey(phaseOf(task.status), shardOf(task.taskId, this.config.indexShards));
  }

  async create(task: TaskState, payloadJson: string): Promise<CreateResult> {
    const existing = this.live(task.taskId);
    if (existing && existing.payloadHash !== task.payloadHash) throw new TaskConflictError(task.taskId);
    if (existing && existing.type !== task.type) throw new TaskConflictError(task.taskId, existing.type);
    if (existing) return { created: false, task: structuredClone(existing) };
    this.payloads.set(task.taskId, payloadJson);
    this.tasks.set(task.taskId, structuredClone(task));
    return { created: true, task };
  }

  async get(taskId: string) {
    const task = this.live(taskId);
    return task && structuredClone(task);
  }

  async getPayload(taskId: string) {
    const json = this.payloads.get(taskId);
    return json === undefined ? undefined : JSON.parse(json);
  }

  async transition(t: Transition): Promise<TransitionResult> {
    const current = this.live(t.taskId);
    if (!current) return { applied: false };
    const next = applyTransition(current, t);
    if (!next) return { applied: false, current: structuredClone(current) };
    this.tasks.set(t.taskId, next);
    return { applied: true, task: structuredClone(next) };
  }

  /** One shard's index entries, in `order`, with their tasks. */
  private shard(key: string, newestFirst: boolean): { entry: IndexEntry; task: TaskState }[] {
    return [...this.tasks.values()]
      .filter((task) => this.indexKey(task) === key)
      .map((task) => ({ entry: { pk: taskKey(task.taskId), phaseAt: phaseEnteredAt(task) }, task }))
      .sort((a, b) => (newestFirst ? -1 : 1) * a.entry.phaseAt.localeCompare(b.entry.phaseAt) || a.entry.pk.localeCompare(b.entry.pk));
  }

  async list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    if (status === 'SUCCEEDED' && !this.config.indexSucceeded)
      throw new ValidationError('status SUCCEEDED is not listed on this stage', [
        { field: 'status', problem: 'SUCCEEDED is not listed on this stage (its tasks are not indexed)' },
      ]);
    const phase = phaseOf(status);
    const { indexShards, cursorSigningKey } = this.config;
    const page = await mergeShards<IndexEntry, TaskSummary>({
      positions: options.cursor
        ? decodeListCursor(options.cursor, phase, indexShards, cursorSigningKey)
        : Array.from({ length: indexShards }, () => 'start' as const),
      limit: options.limit,
      compare: (a, b) => b.phaseAt.localeCompare(a.phaseAt),
      read: async (shard, after, limit) => {
        // As ExclusiveStartKey: strictly after the key in index order, whether or not its item is still there.
        const rest = this.shard(shardKey(phase, shard), true)
          .map((e) => e.entry)
          .filter((e) => !after || e.phaseAt < after.phaseAt || (e.phaseAt === after.phaseAt && e.pk > after.pk));
        return { entries: rest.slice(0, limit), done: rest.length <= limit };
      },
      resolve: async (entries) =>
        entries.map(({ pk }) => {
          const task = this.live(pk.slice('TASK#'.length));
          return task && task.status === status ? summaryOf(task) : undefined;
        }),
    });
    return { tasks: page.items, ...(page.positions ? { cursor: encodeListCursor(phase, page.positions, cursorSigningKey) } : {}) };
  }

  async listUnfinishedBefore(before: string, options: { shard: number; limit: number; cursor?: string }): Promise<TaskPage> {
    const all = this.shard(shardKey(UNFINISHED, options.shard), false)
      .filter((e) => e.entry.phaseAt < before)
      .map((e) => e.task);
    const start = options.cursor ? Number(options.cursor) : 0;
    const page = all.slice(start, start + options.limit).map(summaryOf);
    return { tasks: page, ...(start + options.limit < all.length ? { cursor: String(start + options.limit) } : {}) };
  }
}

const summaryOf = ({ history: _h, payloadHash: _p, leaseId: _l, resultJson: _r, ...summary }: TaskState): TaskSummary => summary;

/** A MetricsSink that keeps what was recorded and how often it was published. */
export class RecordingMetrics implements MetricsSink {
  readonly recorded: { name: MetricName; value: number; type?: string }[] = [];
  published = 0;
  count(name: MetricName, value = 1, type?: string) {
    this.recorded.push({ name, value, ...(type ? { type } : {}) });
  }
  milliseconds(name: MetricName, value: number, type?: string) {
    this.recorded.push({ name, value, ...(type ? { type } : {}) });
  }
  publish() {
    this.published += 1;
  }
  /** Sum of the values recorded under a name. */
  total(name: MetricName): number {
    return this.recorded.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
  }
}

/** A TaskQueue that records what was sent; `refuse` makes it refuse messages as SQS refuses invalid ones. */
export class RecordingQueue implements TaskQueue {
  readonly enqueued: { message: TaskMessage; delaySeconds: number }[] = [];
  readonly deadLettered: DeadLetterMessage[] = [];
  /** Messages refused so far (not recorded as sent). */
  readonly refused: (TaskMessage | DeadLetterMessage)[] = [];
  refuse: (message: TaskMessage | DeadLetterMessage) => boolean = () => false;
  /** The size of each enqueueBatch call, in call order. */
  readonly batches: number[] = [];
  async enqueue(message: TaskMessage, delaySeconds: number) {
    this.check('task queue', message);
    this.enqueued.push({ message: structuredClone(message), delaySeconds });
  }
  /** Each entry through enqueue (so a stubbed enqueue fails entries), its error reported as SqsTaskQueue does. */
  async enqueueBatch(entries: readonly QueueEntry[]): Promise<SendOutcome[]> {
    this.batches.push(entries.length);
    const outcomes: SendOutcome[] = [];
    for (const { message, delaySeconds } of entries) {
      try {
        await this.enqueue(message, delaySeconds);
        outcomes.push({ sent: true });
      } catch (error) {
        outcomes.push({ sent: false, error });
      }
    }
    return outcomes;
  }
  async deadLetter(message: DeadLetterMessage) {
    this.check('dead-letter queue', message);
    this.deadLettered.push(structuredClone(message));
  }
  private check(queue: string, message: TaskMessage | DeadLetterMessage) {
    if (!this.refuse(message)) return;
    this.refused.push(structuredClone(message));
    throw new MessageRejectedError(queue, 'InvalidMessageContents', 'Invalid characters found.');
  }
}

export interface TestDeps extends Deps {
  store: MemoryTaskStore;
  queue: RecordingQueue;
  metrics: RecordingMetrics;
  /** Keeps every line logged, by the wrappers' per-record children too, as Powertools would print it. */
  log: MemoryLogger;
  /** Moves the frozen clock forward. */
  advance(seconds: number): void;
}

/** Deps with an in-memory store, a recording queue, a frozen clock and a scripted random source. */
export function testDeps(options: { config?: Partial<Config>; randoms?: number[]; now?: string; types?: TaskType[] } = {}): TestDeps {
  let now = new Date(options.now ?? '2026-01-01T00:00:00.000Z');
  const randoms = [...(options.randoms ?? [])];
  let ids = 0;
  const config = testConfig(options.config);
  const random = () => {
    if (randoms.length === 0) throw new Error('test random source exhausted');
    return randoms.shift()!;
  };
  const registry = registryFor(config, random);
  const clock = () => new Date(now);
  return {
    config,
    store: new MemoryTaskStore({ config, clock }),
    queue: new RecordingQueue(),
    // Extra types a test registers beside the stage's (a handler that hangs, throws, returns...).
    types: options.types
      ? new TaskTypeRegistry([...registry.names().map((name) => registry.get(name)!), ...options.types], config)
      : registry,
    log: new MemoryLogger({ serviceName: config.serviceName, logLevel: config.logLevel }),
    metrics: new RecordingMetrics(),
    clock,
    random,
    newId: () => `id-${++ids}`,
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}
