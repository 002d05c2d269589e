import type { SQSEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { createHandler as createMonitor } from '../../handlers/monitorDlq';
import { createHandler as createProcessor } from '../../handlers/processTask';
import { createHandler as createSubmit } from '../../handlers/submitTask';
import { createHandler as createSubmitBatch } from '../../handlers/submitTasks';
import { loadConfig } from '../../lib/config';
import { storeOptions } from '../../lib/runtime';
import type { Deps } from '../../lib/deps';
import { MemoryLogger, type LogEntry } from '../../lib/adapters/logger';
import { noMetrics } from '../../lib/adapters/metrics';
import type { Transition } from '../../lib/domain/stateMachine';
import type { TaskState } from '../../lib/domain/task';
import { SqsTaskQueue } from '../../lib/adapters/taskQueue';
import { DynamoTaskStore } from '../../lib/adapters/taskStore';
import { eventSourceMappings, startLocalServers, startPoller, type Invoker, type LocalServers, type Poller } from '../../devstack';
import { postBatchEvent, postTaskEvent } from '../helpers/factories';
import { pollUntil } from '../../tools/poll';
import { registryOptions, TaskTypeRegistry, taskTypes } from '../../lib/types/registry';
import { WEBHOOK_POLICY, webhookType } from '../../lib/types/webhook';

/** What the simulated work's random source returns: 0 fails every attempt, 0.99 passes (rate 0.3). */
export type RandomMode = 'fail' | 'pass';

/**
 * The real handlers running in this process against DynamoDB Local and fauxqs, fed by
 * pollers that behave like Lambda's SQS event source mapping (batchItemFailures honoured,
 * failed records return after the visibility timeout, RedrivePolicy moves them to the DLQ).
 */
export interface Pipeline {
  servers: LocalServers;
  deps: Deps;
  /** Decides the outcome of tasks that do not force one through payload.simulate. */
  randomMode: RandomMode;
  /** Task ids whose claims fail as if DynamoDB were down (their bookkeeping never succeeds). */
  brokenClaims: Set<string>;
  /** The lines the handlers logged since start, as Powertools would print them (the handlers' logger keeps them). */
  logs: LogEntry[];
  /** POST /tasks through the real handler; `extra` adds `type`, `delaySeconds`. */
  submit(
    taskId: string,
    payload: Record<string, unknown>,
    extra?: { type?: string; delaySeconds?: number },
  ): Promise<{ statusCode: number; body: Record<string, unknown> }>;
  /** POST /tasks/batch through the real handler. */
  submitBatch(tasks: unknown[]): Promise<{ statusCode: number; headers: Record<string, unknown>; body: Record<string, unknown> }>;
  waitFor(taskId: string, done: (task: TaskState) => boolean, timeoutMs?: number): Promise<TaskState>;
  /** The first log line with this message about this task; waits for it (the monitor logs after its FAILED write). */
  waitForLine(message: string, taskId: string, timeoutMs?: number): Promise<LogEntry>;
  stop(): Promise<void>;
}

/** Starts the servers, creates serverless.yml's resources, and runs the real handlers on them. */
export async function startPipeline(options: { backoffBaseSeconds?: number; visibilityTimeoutSeconds?: number } = {}): Promise<Pipeline> {
  const servers = await startLocalServers({ stage: 'test' });
  const config = loadConfig({
    ...servers.env,
    BACKOFF_BASE_SECONDS: String(options.backoffBaseSeconds ?? 1),
    ALLOW_SIMULATION_OVERRIDE: 'true',
    // Leases end before a returned message is visible again, as with the deployed 30 s / 90 s.
    LEASE_SECONDS: '1',
    ATTEMPT_TIMEOUT_SECONDS: '0.5',
  });
  const store = new DynamoTaskStore(servers.clients.dynamoDb, config.tableName, storeOptions(config));
  const log = new MemoryLogger({ serviceName: config.serviceName, logLevel: config.logLevel });
  const pipeline: Pipeline = {
    servers,
    randomMode: 'pass',
    brokenClaims: new Set(),
    logs: log.entries,
    deps: undefined as unknown as Deps,
    async submit(taskId, payload, extra = {}) {
      const result = await createSubmit(() => pipeline.deps)(postTaskEvent({ taskId, payload, ...extra }));
      return { statusCode: result.statusCode, body: JSON.parse(result.body) };
    },
    async submitBatch(tasks) {
      const result = await createSubmitBatch(() => pipeline.deps)(postBatchEvent({ tasks }));
      return { statusCode: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body) };
    },
    waitFor(taskId, done, timeoutMs = 20_000) {
      let last: TaskState | undefined;
      return pollUntil(
        async () => {
          last = await store.get(taskId);
          return last && done(last) ? last : undefined;
        },
        { timeoutMs, failure: () => `task ${taskId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}` },
      );
    },
    waitForLine(message, taskId, timeoutMs = 5_000) {
      return pollUntil(() => pipeline.logs.find((l) => l.message === message && l.taskId === taskId), {
        timeoutMs,
        intervalMs: 200,
        failure: () => `no ${message} line for ${taskId} in ${timeoutMs} ms`,
      });
    },
    stop: async () => undefined,
  };
  const faultyStore = Object.create(store) as DynamoTaskStore;
  faultyStore.transition = async (t: Transition) => {
    if (t.to === 'PROCESSING' && pipeline.brokenClaims.has(t.taskId))
      throw Object.assign(new Error('injected: DynamoDB unavailable'), { name: 'InternalServerError' });
    return store.transition(t);
  };
  const random = () => (pipeline.randomMode === 'fail' ? 0 : 0.99);
  pipeline.deps = {
    config,
    store: faultyStore,
    queue: new SqsTaskQueue(servers.clients.sqs, config),
    log,
    metrics: noMetrics,
    clock: () => new Date(),
    random,
    // The default type, and the webhook type on this stack's short clock (1 s lease): its retries
    // wait 1 s, 2 s, ... and an attempt gets 0.5 s.
    types: new TaskTypeRegistry(
      [
        ...taskTypes(registryOptions(config, random)).filter((type) => type.name === 'simulated'),
        { ...webhookType({ allowLocalHttp: true }), policy: { ...WEBHOOK_POLICY, baseSeconds: 1, jitter: 'none', timeoutSeconds: 0.5 } },
      ],
      config,
    ),
    newId: ulid,
  };

  if (options.visibilityTimeoutSeconds !== undefined) {
    const { SetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
    for (const queue of Object.values(servers.resources.queues)) {
      await servers.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { VisibilityTimeout: String(options.visibilityTimeoutSeconds) } }),
      );
    }
  }

  const handlers: Record<string, (event: SQSEvent) => Promise<unknown>> = {};
  const fnName = (key: string) => servers.config.functions[key].name;
  handlers[fnName('processTask')] = createProcessor(() => pipeline.deps);
  handlers[fnName('monitorDlq')] = createMonitor(() => pipeline.deps);
  const invoke: Invoker = async (functionName, event) => {
    try {
      return { ok: true, payload: await handlers[functionName](event) };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  };
  const mappings = eventSourceMappings(servers.config, servers.resources, 2).map((m) =>
    options.visibilityTimeoutSeconds !== undefined ? { ...m, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : m,
  );
  const pollers: Poller[] = mappings.map((mapping) => startPoller(mapping, servers.clients.sqs, invoke, () => undefined));
  pipeline.stop = async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
    await servers.stop();
  };
  return pipeline;
}
