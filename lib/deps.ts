import type { Config } from './config';
import type { RootLog } from './adapters/logger';
import type { MetricsSink } from './adapters/metrics';
import type { TaskQueue } from './adapters/taskQueue';
import type { TaskStore } from './adapters/taskStore';
import type { TaskTypeRegistry } from './types/registry';

/** Everything the use cases need from outside; tests pass stubs or clients of local servers. */
export interface Deps {
  config: Config;
  store: TaskStore;
  queue: TaskQueue;
  /** The task types this stage runs: handlers and policies. */
  types: TaskTypeRegistry;
  /** Structured JSON logs (Powertools); the Lambda wrappers derive each invocation's and record's logger from it. */
  log: RootLog;
  metrics: MetricsSink;
  /** Current time (frozen in tests). */
  clock: () => Date;
  /** Uniform draw in [0, 1): the failure simulation and jitter (seeded in tests). */
  random: () => number;
  /** New unique, time-ordered id (ULID): correlation ids and leases. */
  newId: () => string;
}
