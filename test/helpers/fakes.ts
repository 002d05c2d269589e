import type { Config } from '../../lib/config';
import type { Deps } from '../../lib/deps';
import { MemoryLogger } from '../../lib/adapters/logger';
import { applyTransition, type Transition, type TransitionResult } from '../../lib/domain/stateMachine';
import type { DeadLetterMessage, TaskMessage, TaskState } from '../../lib/domain/task';
import type { TaskQueue } from '../../lib/adapters/taskQueue';
import { MessageRejectedError, TaskConflictError } from '../../lib/domain/errors';
import type { CreateResult, TaskPage, TaskStore } from '../../lib/adapters/taskStore';
import type { MetricName, MetricsSink } from '../../lib/adapters/metrics';
import { isTerminal, type TaskStatus } from '../../lib/domain/task';
import { testConfig } from './factories';
import type { TaskType } from '../../lib/types/contract';
import { registryFor, TaskTypeRegistry } from '../../lib/types/registry';

/**
 * When a task entered its byPhase phase (the index's sort key): when it finished, for SUCCEEDED
 * and FAILED; when it was submitted or last redriven, while unfinished.
 */
function phaseEnteredAt(task: TaskState): string {
  if (isTerminal(task.status)) return task.updatedAt;
  return [...task.history].reverse().find((e) => e.type === 'QUEUED' || e.type === 'REDRIVEN')?.at ?? task.createdAt;
}

/** A TaskStore in memory, applying transitions with the same gate semantics as the DynamoDB store. */
export class MemoryTaskStore implements TaskStore {
  readonly tasks = new Map<string, TaskState>();
  readonly payloads = new Map<string, string>();

  async create(task: TaskState, payloadJson: string): Promise<CreateResult> {
    const existing = this.tasks.get(task.taskId);
    if (existing && existing.payloadHash !== task.payloadHash) throw new TaskConflictError(task.taskId);
    if (existing && existing.type !== task.type) throw new TaskConflictError(task.taskId, existing.type);
    if (existing) return { created: false, task: structuredClone(existing) };
    this.payloads.set(task.taskId, payloadJson);
    this.tasks.set(task.taskId, structuredClone(task));
    return { created: true, task };
  }

  async get(taskId: string) {
    const task = this.tasks.get(taskId);
    return task && structuredClone(task);
  }

  async getPayload(taskId: string) {
    const json = this.payloads.get(taskId);
    return json === undefined ? undefined : JSON.parse(json);
  }

  async transition(t: Transition): Promise<TransitionResult> {
    const current = this.tasks.get(t.taskId);
    if (!current) return { applied: false };
    const next = applyTransition(current, t);
    if (!next) return { applied: false, current: structuredClone(current) };
    this.tasks.set(t.taskId, next);
    return { applied: true, task: structuredClone(next) };
  }

  // The twin of the byPhase index: newest first by when the task entered its phase.
  async list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    return this.page(
      [...this.tasks.values()].filter((t) => t.status === status).sort((a, b) => phaseEnteredAt(b).localeCompare(phaseEnteredAt(a))),
      options,
    );
  }

  async listUnfinishedBefore(before: string, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    const all = [...this.tasks.values()]
      .filter((t) => !isTerminal(t.status) && phaseEnteredAt(t) < before)
      .sort((a, b) => phaseEnteredAt(a).localeCompare(phaseEnteredAt(b)));
    return this.page(all, options);
  }

  private page(all: TaskState[], options: { limit: number; cursor?: string }): TaskPage {
    const start = options.cursor ? Number(options.cursor) : 0;
    const page = all
      .slice(start, start + options.limit)
      .map(({ history: _h, payloadHash: _p, leaseId: _l, resultJson: _r, ...summary }) => summary);
    return { tasks: page, ...(start + options.limit < all.length ? { cursor: String(start + options.limit) } : {}) };
  }
}

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
  async enqueue(message: TaskMessage, delaySeconds: number) {
    this.check('task queue', message);
    this.enqueued.push({ message: structuredClone(message), delaySeconds });
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
  return {
    config,
    store: new MemoryTaskStore(),
    queue: new RecordingQueue(),
    // Extra types a test registers beside the stage's (a handler that hangs, throws, returns...).
    types: options.types
      ? new TaskTypeRegistry([...registry.names().map((name) => registry.get(name)!), ...options.types], config)
      : registry,
    log: new MemoryLogger({ serviceName: config.serviceName, logLevel: config.logLevel }),
    metrics: new RecordingMetrics(),
    clock: () => new Date(now),
    random,
    newId: () => `id-${++ids}`,
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}
