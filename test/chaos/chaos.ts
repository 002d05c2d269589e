import { DynamoDBClient, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { isDeepStrictEqual } from 'node:util';
import { ulid } from 'ulid';
import { createHandler as createMonitor } from '../../handlers/monitorDlq';
import { createHandler as createProcessor } from '../../handlers/processTask';
import { createHandler as createSubmit } from '../../handlers/submitTask';
import { createHandler as createSubmitMany } from '../../handlers/submitTasks';
import { loadConfig } from '../../lib/config';
import { storeOptions } from '../../lib/runtime';
import type { Deps } from '../../lib/deps';
import { MemoryLogger, type LogEntry } from '../../lib/adapters/logger';
import { noMetrics } from '../../lib/adapters/metrics';
import { RECONCILED_STATUSES, reconcile } from '../../lib/app/reconcile';
import { isTerminal, type TaskState } from '../../lib/domain/task';
import { SqsTaskQueue } from '../../lib/adapters/taskQueue';
import { DynamoTaskStore, PHASE_INDEX, STATE_SK, UNFINISHED } from '../../lib/adapters/taskStore';
import {
  LOCAL_CREDENTIALS,
  eventSourceMappings,
  startLocalServers,
  startPoller,
  type Invoker,
  type LocalServers,
  type Poller,
} from '../../devstack';
import { shardKey } from '../../lib/domain/shards';
import { postTaskEvent } from '../helpers/factories';
import { FaultInjector, invocationContext, type FaultKind, type FaultRates, type InvocationState } from './faults';
import { historyProblems } from './history';
import { mulberry32, parseSeed } from './random';
import { sleep } from '../../tools/poll';
import { EDGE_CHARACTERS } from '../support/unicode';
import { registryOptions, TaskTypeRegistry, taskTypes } from '../../lib/types/registry';
import { createHandler as createCancel } from '../../handlers/cancelTask';
import { cancelsTask, chaosTypeOf, chaosTypes } from './types';
import { type BatchPlan, BulkClient, type BulkStats, firstTaskId, planBatches, REPEAT_SHARE } from './bulk';

export interface ChaosOptions {
  tasks: number;
  seed: number;
  rates: FaultRates;
  /** Share of 5xx submit responses the client retries (same request); it gives up on the others. */
  clientRetryShare: number;
  /** Retries one client makes at most for one task. */
  clientMaxRetries: number;
  /** Share of the tasks (a keyed draw each) submitted through POST /tasks/batch, the rest through POST /tasks. */
  bulkShare: number;
  /** Requests the chaos client has in flight at once. */
  submitConcurrency: number;
  /** Batches in flight at once per queue (Lambda's pollers). */
  pollerConcurrency: number;
  /** The real simulated-work failure rate. */
  failureRate: number;
  leaseSeconds: number;
  visibilityTimeoutSeconds: number;
  /**
   * The DLQ's: longer than a pause, as on AWS a queue's visibility outlasts its consumer's timeout.
   * A shorter one lets a DLQ message reappear while its first delivery is paused mid-write, and
   * both deliveries then log TASK_FAILED (a duplicate AWS's 6x rule rules out).
   */
  dlqVisibilityTimeoutSeconds: number;
  backoffBaseSeconds: number;
  reconcileIntervalMs: number;
  reconcileGraceSeconds: number;
  /** Times DynamoDB Local and the SQS server are paused together (SIGSTOP, then SIGCONT) while tasks are submitted. */
  pauses: number;
  /** How long each pause lasts. */
  pauseMs: number;
  /** How long after the last submit every task has to become SUCCEEDED or FAILED. */
  drainTimeoutMs: number;
  /** How long, once every task is terminal, leftover messages (duplicates) get to be consumed. */
  settleTimeoutMs: number;
}

/** Defaults: 1,000 tasks, faults on 5% of SDK calls, every message sent twice. */
export const DEFAULT_OPTIONS: Omit<ChaosOptions, 'seed'> = {
  tasks: 1000,
  rates: {
    dynamoDb: 0.05,
    sqs: 0.05,
    sqsBatch: 0.1,
    duplicateEverySend: true,
    processorCrash: 0.02,
    monitorWrite: 0.25,
    submitSend: 0.1,
  },
  bulkShare: 1 / 3,
  clientRetryShare: 0.5,
  clientMaxRetries: 3,
  submitConcurrency: 6,
  pollerConcurrency: 4,
  failureRate: 0.3,
  leaseSeconds: 1,
  visibilityTimeoutSeconds: 2,
  dlqVisibilityTimeoutSeconds: 4,
  backoffBaseSeconds: 1,
  reconcileIntervalMs: 2000,
  reconcileGraceSeconds: 3,
  pauses: 3,
  pauseMs: 3000,
  drainTimeoutMs: 120_000,
  settleTimeoutMs: 10_000,
};

type Env = Record<string, string | undefined>;

function envNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

/** Options from CHAOS_* variables over `defaults` (CHAOS_TASKS, CHAOS_SEED, CHAOS_FAULT_RATE, ...). */
export function chaosOptionsFromEnv(env: Env, defaults: Omit<ChaosOptions, 'seed'> & { seed?: number } = DEFAULT_OPTIONS): ChaosOptions {
  return {
    ...defaults,
    tasks: Math.floor(envNumber(env, 'CHAOS_TASKS', defaults.tasks)),
    seed: env.CHAOS_SEED !== undefined && env.CHAOS_SEED !== '' ? parseSeed(env.CHAOS_SEED) : (defaults.seed ?? parseSeed(undefined)),
    rates: {
      ...defaults.rates,
      dynamoDb: envNumber(env, 'CHAOS_FAULT_RATE', defaults.rates.dynamoDb),
      sqs: envNumber(env, 'CHAOS_FAULT_RATE', defaults.rates.sqs),
      sqsBatch: envNumber(env, 'CHAOS_BATCH_FAULT_RATE', defaults.rates.sqsBatch),
      processorCrash: envNumber(env, 'CHAOS_CRASH_RATE', defaults.rates.processorCrash),
      monitorWrite: envNumber(env, 'CHAOS_MONITOR_FAILURE_RATE', defaults.rates.monitorWrite),
      submitSend: envNumber(env, 'CHAOS_SUBMIT_FAILURE_RATE', defaults.rates.submitSend),
      duplicateEverySend: (env.CHAOS_DUPLICATES ?? String(defaults.rates.duplicateEverySend)) !== 'false',
    },
    bulkShare: envNumber(env, 'CHAOS_BULK_SHARE', defaults.bulkShare),
    pauses: Math.floor(envNumber(env, 'CHAOS_PAUSES', defaults.pauses)),
    drainTimeoutMs: envNumber(env, 'CHAOS_DRAIN_TIMEOUT_MS', defaults.drainTimeoutMs),
  };
}

/** How the chaos client's POST /tasks (or POST /tasks/batch) went for one task. */
export interface SubmitOutcome {
  taskId: string;
  payload: Record<string, unknown>;
  type?: string;
  /** A 2xx answer: the API accepted the task. */
  accepted: boolean;
  statuses: number[];
  /** Submitted through POST /tasks/batch: `statuses` are its item's status codes. */
  viaBatch?: boolean;
  /** The answer to the cancel the client sent right after an accepted submit, if it sent one. */
  cancelStatus?: number;
}

export interface ChaosReport {
  seed: number;
  options: ChaosOptions;
  faults: Partial<Record<FaultKind, number>>;
  submitted: number;
  accepted: number;
  clientRetries: number;
  /** POST /tasks/batch: batches, requests, per-item status codes (the batch faults are in `faults`). */
  bulk: Omit<BulkStats, 'problems'>;
  /** Tasks the client gave up on after a 5xx. */
  abandoned: number;
  /** Of those, tasks whose state was written anyway: the reconciler had to finish them. */
  abandonedButRecorded: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Tasks FAILED by a permanent failure (the chaosRefuses type), and how many of them took one attempt. */
  permanent: { failed: number; afterOneAttempt: number };
  /** Attempts that ran past their timeout (AttemptTimedOut in the history), and chaosSlow tasks that still SUCCEEDED. */
  timeouts: { attempts: number; slowSucceeded: number; slowTasks: number };
  /** Cancels answered 200, and of those, tasks that did not end CANCELLED (must be none). */
  cancels: { sent: number; accepted: number; notCancelled: string[] };
  lost: string[];
  stuck: { taskId: string; status: string; attempts: number }[];
  duplicatesAbsorbed: { deliveryIgnored: number; duplicateDlqMessages: number; staleDlqMessages: number };
  /** Owed messages a redelivery sent again (RETRY_RESENT, DEAD_LETTER_RESENT). */
  resentByProcessor: number;
  maxAttempts: number;
  failedLoggedOnce: number;
  historiesConsistent: number;
  historiesChecked: number;
  /** Sweeps run and sweeps a fault aborted; messages re-sent, by the status the task was stuck in. */
  reconciler: { runs: number; errors: number; resent: Record<string, number>; total: number };
  /** Each task the reconciler re-sent a message for, with the faults that had hit it: why it needed rescuing. */
  rescues: { taskId: string; status: string; faults: string[] }[];
  invocations: { total: number; failed: number; crashed: number };
  drained: boolean;
  wallTimeMs: number;
  problems: string[];
}

/**
 * A small payload, different per task, fixed by the seed. Every task carries one of the edge
 * characters (in turn) in a value and a key, and one in six an emoji, as in a realistic mix.
 */
function payloadFor(index: number, random: () => number): Record<string, unknown> {
  const edge = EDGE_CHARACTERS[index % EDGE_CHARACTERS.length];
  return {
    order: `order-${index}`,
    amount: Math.round(random() * 100_000) / 100,
    items: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => ({ sku: `sku-${Math.floor(random() * 1000)}`, qty: i + 1 })),
    note: random() < 1 / 6 ? 'thanks 😀 ✓' : null,
    edge: `<${edge}>`,
    [`key${edge}`]: true,
  };
}

/** Sends a signal to the process group of each server (DynamoDB Local runs java under a wrapper). */
function signalServers(servers: LocalServers, signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const pid of [...servers.dynamoDb.pids(), ...servers.sqs.pids()]) {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone: nothing to pause or resume.
    }
  }
}

async function scanStates(client: DynamoDBClient, tableName: string): Promise<Map<string, TaskState>> {
  const states = new Map<string, TaskState>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk, ...rest } = unmarshall(item);
      if (sk === STATE_SK) states.set(rest.taskId as string, rest as TaskState);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return states;
}

/** Tasks not yet finished, counted on every unfinished shard of the byPhase index. */
async function countOpen(client: DynamoDBClient, tableName: string, shards: number): Promise<number> {
  let open = 0;
  for (let shard = 0; shard < shards; shard++) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: PHASE_INDEX,
          KeyConditionExpression: 'phase = :phase',
          ExpressionAttributeValues: { ':phase': { S: shardKey(UNFINISHED, shard) } },
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      open += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return open;
}

/** A queue's messages: visible, in flight and delayed. */
async function queueCounts(servers: LocalServers, url: string): Promise<Record<string, string>> {
  const { Attributes = {} } = await servers.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Attributes;
}

/** Whether the queues (all of them, or those with these URLs) hold no message: visible, in flight or delayed. */
async function queuesEmpty(servers: LocalServers, urls?: string[]): Promise<boolean> {
  for (const queue of Object.values(servers.resources.queues).filter((q) => !urls || urls.includes(q.url))) {
    const { Attributes = {} } = await servers.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    if (Object.values(Attributes).some((count) => Number(count) > 0)) return false;
  }
  return true;
}

/**
 * Runs `options.tasks` tasks through the real handlers on DynamoDB Local and fauxqs with faults
 * injected (SDK errors and lost responses, processor crashes, duplicate deliveries, DLQ monitor
 * failures, failed sends at submit), the reconciler sweeping periodically; drains, audits every
 * task and returns the report. `report.problems` lists every violated expectation.
 */
export async function runChaos(options: ChaosOptions, progress: (line: string) => void = () => undefined): Promise<ChaosReport> {
  // fauxqs in a process of its own, so that it can be paused like DynamoDB Local.
  const servers = await startLocalServers({ stage: 'test', sqsInOwnProcess: options.pauses > 0 });
  const pollers: Poller[] = [];
  const clients: { destroy(): void }[] = [];
  let reconciling = true;
  let reconcilerLoop: Promise<void> = Promise.resolve();
  let progressTimer: NodeJS.Timeout | undefined;
  let resumeServers: () => void = () => undefined;
  try {
    const config = loadConfig({
      ...servers.env,
      FAILURE_RATE: String(options.failureRate),
      ALLOW_SIMULATION_OVERRIDE: 'false',
      BACKOFF_BASE_SECONDS: String(options.backoffBaseSeconds),
      BACKOFF_JITTER: 'none',
      LEASE_SECONDS: String(options.leaseSeconds),
      // An attempt must end before its lease does (the registry checks it).
      ATTEMPT_TIMEOUT_SECONDS: String(options.leaseSeconds / 2),
      RECONCILE_GRACE_SECONDS: String(options.reconcileGraceSeconds),
    });
    const visibilityOf = (url: string) => (url === config.dlqUrl ? options.dlqVisibilityTimeoutSeconds : options.visibilityTimeoutSeconds);
    for (const queue of Object.values(servers.resources.queues)) {
      await servers.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { VisibilityTimeout: String(visibilityOf(queue.url)) } }),
      );
    }

    // The pipeline's own clients carry the faults; the pollers and the audit use the servers' clean clients.
    const faults = new FaultInjector(options.seed, options.rates);
    const dynamoDb = new DynamoDBClient({ endpoint: servers.dynamoDb.endpoint, region: servers.region, credentials: LOCAL_CREDENTIALS });
    const sqs = new SQSClient({ endpoint: servers.sqs.endpoint, region: servers.region, credentials: LOCAL_CREDENTIALS });
    clients.push(dynamoDb, sqs);
    faults.instrument(dynamoDb, 'dynamodb', { rate: options.rates.dynamoDb });
    faults.instrument(sqs, 'sqs', {
      rate: options.rates.sqs,
      duplicateSends: options.rates.duplicateEverySend,
      batchRate: options.rates.sqsBatch,
      commands: ['SendMessageCommand', 'SendMessageBatchCommand'],
    });
    const store = new DynamoTaskStore(dynamoDb, config.tableName, storeOptions(config));
    const queue = new SqsTaskQueue(sqs, config);
    const random = mulberry32(options.seed ^ 0x5eed);
    // The default type and the chaos mix's (the stage's other types need a longer lease than this run's 1 s).
    const simulated = taskTypes(registryOptions(config, random)).filter((type) => type.name === 'simulated');
    // Every handler's and the reconciler's lines, as Powertools would print them.
    const log = new MemoryLogger({ serviceName: config.serviceName, logLevel: config.logLevel });
    const deps: Deps = {
      config,
      store,
      queue,
      log,
      metrics: noMetrics,
      clock: () => new Date(),
      // The real random failure of the simulated work, seeded.
      random,
      // The stage's types plus the chaos mix's: permanent failures and attempts that time out.
      types: new TaskTypeRegistry([...simulated, ...chaosTypes()], config),
      newId: ulid,
    };
    const processorDeps: Deps = { ...deps, store: faults.processorStore(store) };
    const monitorDeps: Deps = { ...deps, store: faults.monitorStore(store) };
    const submitDeps: Deps = { ...deps, queue: faults.submitQueue(queue) };

    const fnName = (key: string) => servers.config.functions[key].name;
    const handlers: Record<string, (event: SQSEvent) => Promise<unknown>> = {
      [fnName('processTask')]: createProcessor(() => processorDeps),
      [fnName('monitorDlq')]: createMonitor(() => monitorDeps),
    };
    const invocations = { total: 0, failed: 0, crashed: 0 };
    const invoke: Invoker = async (functionName, event) => {
      invocations.total += 1;
      const state: InvocationState = {};
      try {
        const payload = await invocationContext.run(state, () => handlers[functionName](event));
        if (state.crashed) {
          invocations.crashed += 1;
          return { ok: false, error: `Task timed out (injected ${state.crashed})` };
        }
        return { ok: true, payload };
      } catch (error) {
        invocations.failed += 1;
        return { ok: false, error: (error as Error).message };
      }
    };
    const mappings = eventSourceMappings(servers.config, servers.resources, options.pollerConcurrency).map((m) => ({
      ...m,
      visibilityTimeoutSeconds: visibilityOf(m.queue.url),
    }));
    for (const mapping of mappings) pollers.push(startPoller(mapping, servers.clients.sqs, invoke, () => undefined));

    // The reconciler, as its schedule would run it, with a short grace. Its re-sends are counted
    // from its TASK_RECONCILED lines: a sweep that a fault aborts has re-sent some tasks already.
    const reconciler = { runs: 0, errors: 0 };
    reconcilerLoop = (async () => {
      while (reconciling) {
        await sleep(options.reconcileIntervalMs);
        if (!reconciling) break;
        try {
          reconciler.runs += 1;
          await reconcile(deps, { graceSeconds: options.reconcileGraceSeconds, maxPerStatus: 200 });
        } catch {
          // A fault hit this sweep; the next one starts over.
          reconciler.errors += 1;
        }
      }
    })();

    // The chaos client: POST /tasks through the real handler; retries some 5xx answers, gives up on the others.
    // A share of the tasks go through POST /tasks/batch instead, in batches of 1-100 (bulk.ts).
    const submitHandler = createSubmit(() => submitDeps);
    const cancelHandler = createCancel(() => deps);
    const payloadRandom = mulberry32(options.seed ^ 0xc0ffee);
    const tasks = Array.from({ length: options.tasks }, (_, i) => {
      const bulk = faults.draw(`bulk|${i}`) < options.bulkShare;
      const task = { taskId: `chaos-${options.seed}-${i}`, payload: payloadFor(i, payloadRandom), type: chaosTypeOf(i) };
      return { ...task, bulk, cancel: !bulk && cancelsTask(i) };
    });
    const plans = planBatches(
      tasks.filter((t) => t.bulk).map(({ taskId, payload, type }) => ({ taskId, payload, ...(type ? { type } : {}) })),
      (key) => faults.draw(key),
      options.seed,
    );
    const bulkClient = new BulkClient(
      createSubmitMany(() => submitDeps),
      { retryShare: options.clientRetryShare, maxRetries: options.clientMaxRetries },
      (key) => faults.draw(key),
    );
    // Jobs in task order: a batch where its first task would have been sent alone.
    const planStarts = new Map(plans.map((plan) => [firstTaskId(plan), plan]));
    type Job = { task: (typeof tasks)[number] } | { plan: BatchPlan; repeat: boolean };
    const jobs: Job[] = tasks.flatMap((task): Job[] => {
      if (!task.bulk) return [{ task }];
      const plan = planStarts.get(task.taskId);
      return plan ? [{ plan, repeat: false }] : [];
    });
    const outcomes: SubmitOutcome[] = [];
    const bulkOutcomes = new Map<string, SubmitOutcome>();
    const submittedCount = () => outcomes.length + bulkOutcomes.size;
    let clientRetries = 0;
    let next = 0;
    const submitStartedAt = Date.now();
    const submitOne = async (taskId: string, payload: Record<string, unknown>, type?: string, cancel = false): Promise<SubmitOutcome> => {
      const statuses: number[] = [];
      for (;;) {
        const response = await submitHandler(postTaskEvent({ taskId, payload, ...(type ? { type } : {}) }));
        statuses.push(response.statusCode);
        if (response.statusCode === 200 || response.statusCode === 202) {
          if (!cancel) return { taskId, payload, type, accepted: true, statuses };
          const cancelled = await cancelHandler({
            httpMethod: 'POST',
            path: `/tasks/${taskId}/cancel`,
            pathParameters: { taskId },
            headers: {},
            body: null,
          } as unknown as Parameters<typeof cancelHandler>[0]);
          return { taskId, payload, type, accepted: true, statuses, cancelStatus: cancelled.statusCode };
        }
        const retry =
          response.statusCode >= 500 &&
          statuses.length <= options.clientMaxRetries &&
          faults.draw(`client|${taskId}`) < options.clientRetryShare;
        if (!retry) return { taskId, payload, type, accepted: false, statuses };
        clientRetries += 1;
        await sleep(Number(response.headers?.['Retry-After'] ?? 0.2) * 1000);
      }
    };
    // Pauses both servers while requests are in flight, as a stalled host or a GC pause would.
    let paused = false;
    const pauser = (async () => {
      for (let i = 0; i < options.pauses; i++) {
        await sleep(1000 + faults.draw(`pause|${i}`) * 3000);
        if (submittedCount() >= tasks.length) break;
        faults.record('servers.paused', `DynamoDB Local and fauxqs for ${options.pauseMs} ms`);
        paused = true;
        signalServers(servers, 'SIGSTOP');
        await sleep(options.pauseMs);
        signalServers(servers, 'SIGCONT');
        paused = false;
      }
    })();
    resumeServers = () => {
      if (paused) signalServers(servers, 'SIGCONT');
    };
    const clientsDone = Promise.all(
      Array.from({ length: options.submitConcurrency }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          if ('task' in job) {
            outcomes.push(await submitOne(job.task.taskId, job.task.payload, job.task.type, job.task.cancel));
            continue;
          }
          await bulkClient.send(job.plan, job.repeat, bulkOutcomes);
          // Some finished batches are sent again a few jobs later: each task must answer 200, not 202.
          if (!job.repeat && faults.draw(`bulk|repeat|${job.plan.name}`) < REPEAT_SHARE) {
            const at = Math.min(jobs.length, next + 1 + Math.floor(faults.draw(`bulk|repeatAt|${job.plan.name}`) * 4));
            jobs.splice(at, 0, { plan: job.plan, repeat: true });
          }
        }
      }),
    );

    progressTimer = setInterval(() => {
      countOpen(servers.clients.dynamoDb, config.tableName, config.indexShards)
        .then((open) =>
          progress(
            `  ${((Date.now() - submitStartedAt) / 1000).toFixed(0)}s: ${submittedCount()}/${tasks.length} submitted, ${open} not yet SUCCEEDED or FAILED`,
          ),
        )
        .catch(() => undefined);
    }, 5000);

    await clientsDone;
    await pauser;
    // Drained: every task SUCCEEDED or FAILED and the DLQ consumed (a TASK_FAILED line may follow its FAILED write).
    const drainDeadline = Date.now() + options.drainTimeoutMs;
    let drained = false;
    while (Date.now() < drainDeadline) {
      if (
        (await countOpen(servers.clients.dynamoDb, config.tableName, config.indexShards)) === 0 &&
        (await queuesEmpty(servers, [config.dlqUrl]))
      ) {
        drained = true;
        break;
      }
      await sleep(500);
    }
    const wallTimeMs = Date.now() - submitStartedAt;
    clearInterval(progressTimer);
    // What was left when the drain gave up: tasks not finished, and messages on the DLQ.
    const drainState = drained
      ? ''
      : `${await countOpen(servers.clients.dynamoDb, config.tableName, config.indexShards)} tasks unfinished; DLQ ${JSON.stringify(await queueCounts(servers, config.dlqUrl))}; task queue ${JSON.stringify(await queueCounts(servers, config.queueUrl))}`;
    // Let leftover copies (duplicates, re-sends) be consumed, so the absorbed ones are counted.
    const settleDeadline = Date.now() + (drained ? options.settleTimeoutMs : 0);
    while (Date.now() < settleDeadline && !(await queuesEmpty(servers))) await sleep(500);

    reconciling = false;
    await reconcilerLoop;
    await Promise.all(pollers.splice(0).map((poller) => poller.stop()));

    const states = await scanStates(servers.clients.dynamoDb, config.tableName);
    return audit({
      options,
      faults,
      outcomes: [...outcomes, ...bulkOutcomes.values()],
      bulk: bulkClient.stats,
      foreignIds: BulkClient.foreignIds(plans),
      states,
      logs: log.entries,
      reconciler,
      invocations,
      clientRetries,
      drained,
      drainState,
      wallTimeMs,
      maxAttempts: config.maxAttempts,
    });
  } finally {
    resumeServers();
    clearInterval(progressTimer);
    reconciling = false;
    await reconcilerLoop;
    await Promise.all(pollers.map((poller) => poller.stop()));
    clients.forEach((client) => client.destroy());
    await servers.stop();
  }
}

interface AuditInput {
  options: ChaosOptions;
  faults: FaultInjector;
  outcomes: SubmitOutcome[];
  bulk: BulkStats;
  /** TaskIds of invalid batch items: none may have a state item. */
  foreignIds: string[];
  states: Map<string, TaskState>;
  logs: LogEntry[];
  reconciler: { runs: number; errors: number };
  invocations: ChaosReport['invocations'];
  clientRetries: number;
  drained: boolean;
  /** What was left when the drain timed out. */
  drainState: string;
  wallTimeMs: number;
  maxAttempts: number;
}

/** At most this many tasks are described in detail per kind of problem. */
const DETAILS_PER_PROBLEM = 5;

/** Checks every task against what the pipeline promises and builds the report. */
function audit(input: AuditInput): ChaosReport {
  const { options, faults, outcomes, states, logs, maxAttempts } = input;
  const problems: string[] = [];
  const detailed: Record<string, number> = {};
  const explain = (kind: string, taskId: string, text: string) => {
    detailed[kind] = (detailed[kind] ?? 0) + 1;
    if (detailed[kind] > DETAILS_PER_PROBLEM) return;
    const task = states.get(taskId);
    const history = task
      ? task.history.map((e) => `${e.type}#${e.attempt}${e.error ? `(${e.error.name})` : ''}`).join(' → ')
      : 'no state item';
    const trail = faults
      .trail(taskId)
      .map((f) => `${f.at.slice(11, 23)} ${f.kind}: ${f.detail}`)
      .join('; ');
    problems.push(`${kind}: ${taskId}: ${text}\n      history: ${history}\n      faults: ${trail || 'none'}`);
  };
  const count = (message: string) => logs.filter((line) => line.message === message).length;

  const failedLines = new Map<string, LogEntry[]>();
  for (const line of logs) {
    if (line.message !== 'TASK_FAILED') continue;
    const id = String(line.taskId);
    failedLines.set(id, [...(failedLines.get(id) ?? []), line]);
  }

  const lost: string[] = [];
  const stuck: ChaosReport['stuck'] = [];
  let succeeded = 0;
  let failed = 0;
  let cancelled = 0;
  const permanent = { failed: 0, afterOneAttempt: 0 };
  const timeouts = { attempts: 0, slowSucceeded: 0, slowTasks: 0 };
  const cancels = { sent: 0, accepted: 0, notCancelled: [] as string[] };
  let abandoned = 0;
  let abandonedButRecorded = 0;
  let failedLoggedOnce = 0;
  let historiesConsistent = 0;
  let historiesChecked = 0;
  let maxSeen = 0;

  for (const outcome of outcomes) {
    const task = states.get(outcome.taskId);
    if (!outcome.accepted) {
      abandoned += 1;
      if (task) abandonedButRecorded += 1;
      if (outcome.statuses.some((status) => status < 500))
        explain('unexpected answer', outcome.taskId, `HTTP ${outcome.statuses.join(', ')}`);
    }
    if (!task) {
      if (outcome.accepted) {
        lost.push(outcome.taskId);
        explain('lost', outcome.taskId, `accepted (HTTP ${outcome.statuses.join(', ')}) but no state item exists`);
      }
      continue;
    }
    if (!isTerminal(task.status)) {
      stuck.push({ taskId: task.taskId, status: task.status, attempts: task.attempts });
      explain('stuck', task.taskId, `${task.status} after the drain (attempts ${task.attempts}, updated ${task.updatedAt})`);
    }
    if (task.status === 'SUCCEEDED') succeeded += 1;
    if (task.status === 'CANCELLED') cancelled += 1;
    if (outcome.cancelStatus !== undefined) {
      cancels.sent += 1;
      if (outcome.cancelStatus === 200) {
        cancels.accepted += 1;
        if (task.status !== 'CANCELLED') {
          cancels.notCancelled.push(task.taskId);
          explain('cancel not honoured', task.taskId, `the cancel answered 200 but the task is ${task.status}`);
        }
      } else if (outcome.cancelStatus !== 409 && outcome.cancelStatus < 500)
        explain('unexpected cancel answer', task.taskId, `HTTP ${outcome.cancelStatus}`);
    }
    if (outcome.type === 'chaosRefuses' && task.status === 'FAILED') {
      permanent.failed += 1;
      if (task.history.some((e) => e.type === 'DEAD_LETTERED' && e.permanent && e.attempt === 1)) permanent.afterOneAttempt += 1;
      else explain('permanent failure retried', task.taskId, 'a PermanentError was not dead-lettered on attempt 1');
    }
    timeouts.attempts += task.history.filter((e) => e.error?.name === 'AttemptTimedOut').length;
    if (outcome.type === 'chaosSlow') {
      timeouts.slowTasks += 1;
      if (task.status === 'SUCCEEDED') timeouts.slowSucceeded += 1;
      if (task.resultJson?.includes('late')) explain('late result kept', task.taskId, `result ${task.resultJson}`);
    }
    maxSeen = Math.max(maxSeen, task.attempts, ...task.history.map((e) => e.attempt));

    historiesChecked += 1;
    const inconsistencies = historyProblems(task);
    if (inconsistencies.length === 0) historiesConsistent += 1;
    else explain('inconsistent history', task.taskId, inconsistencies.join('; '));

    const lines = failedLines.get(task.taskId) ?? [];
    if (task.status === 'FAILED') {
      failed += 1;
      const line = lines[0];
      const lineProblems: string[] = [];
      if (lines.length !== 1) lineProblems.push(`${lines.length} TASK_FAILED lines, expected exactly 1`);
      if (line && !isDeepStrictEqual(line.payload, outcome.payload))
        lineProblems.push(`payload ${JSON.stringify(line.payload)} differs from the submitted one`);
      if (line && (typeof line.error !== 'string' || line.error === '')) lineProblems.push(`error ${JSON.stringify(line.error)} is empty`);
      if (lineProblems.length === 0) failedLoggedOnce += 1;
      else explain('FAILED not logged once', task.taskId, lineProblems.join('; '));
    } else if (lines.length > 0) {
      explain('TASK_FAILED for a task not FAILED', task.taskId, `${lines.length} TASK_FAILED lines while ${task.status}`);
    }
  }

  for (const taskId of input.foreignIds)
    if (states.has(taskId)) explain('invalid batch item recorded', taskId, 'answered 400 in a batch, yet it has a state item');
  for (const text of input.bulk.problems.slice(0, DETAILS_PER_PROBLEM * 2)) problems.push(`batch answer: ${text}`);
  if (input.bulk.problems.length > DETAILS_PER_PROBLEM * 2)
    problems.push(`batch answer: ${input.bulk.problems.length - DETAILS_PER_PROBLEM * 2} more`);

  const submittedIds = new Set(outcomes.map((o) => o.taskId));
  const strangers = [...states.keys()].filter((id) => !submittedIds.has(id));
  if (strangers.length > 0) problems.push(`state items of tasks never submitted: ${strangers.slice(0, 5).join(', ')}`);
  if (outcomes.length !== options.tasks) problems.push(`${outcomes.length} of ${options.tasks} tasks were submitted`);
  if (!input.drained)
    problems.push(
      `the drain (every task SUCCEEDED or FAILED, the DLQ consumed) timed out after ${options.drainTimeoutMs} ms: ${input.drainState}`,
    );
  if (maxSeen > maxAttempts) problems.push(`an attempt number reached ${maxSeen}, above ${maxAttempts}`);
  for (const [kind, n] of Object.entries(detailed)) {
    if (n > DETAILS_PER_PROBLEM) problems.push(`${kind}: ${n - DETAILS_PER_PROBLEM} more tasks`);
  }

  return {
    seed: options.seed,
    options,
    faults: { ...faults.counts },
    submitted: outcomes.length,
    accepted: outcomes.filter((o) => o.accepted).length,
    clientRetries: input.clientRetries,
    bulk: (({ problems: _problems, ...stats }) => stats)(input.bulk),
    abandoned,
    abandonedButRecorded,
    succeeded,
    failed,
    cancelled,
    permanent,
    timeouts,
    cancels,
    lost,
    stuck,
    duplicatesAbsorbed: {
      deliveryIgnored: count('DELIVERY_IGNORED'),
      duplicateDlqMessages: count('DUPLICATE_DLQ_MESSAGE'),
      staleDlqMessages: count('STALE_DLQ_MESSAGE'),
    },
    resentByProcessor: count('RETRY_RESENT') + count('DEAD_LETTER_RESENT'),
    maxAttempts: maxSeen,
    failedLoggedOnce,
    historiesConsistent,
    historiesChecked,
    reconciler: {
      ...input.reconciler,
      resent: Object.fromEntries(
        RECONCILED_STATUSES.map((status) => [status, logs.filter((l) => l.message === 'TASK_RECONCILED' && l.status === status).length]),
      ),
      total: count('TASK_RECONCILED'),
    },
    rescues: logs
      .filter((line) => line.message === 'TASK_RECONCILED')
      .map((line) => ({
        taskId: String(line.taskId),
        status: String(line.status),
        faults: faults.trail(String(line.taskId)).map((f) => `${f.kind}: ${f.detail}`),
      })),
    invocations: input.invocations,
    drained: input.drained,
    wallTimeMs: input.wallTimeMs,
    problems,
  };
}

/** The report as a two-column table. */
export function formatReport(report: ChaosReport): string {
  const rows: [string, string][] = [];
  const add = (label: string, value: string | number) => rows.push([label, String(value)]);
  const faultTotal = Object.values(report.faults).reduce((sum, n) => sum + (n ?? 0), 0);
  add('faults injected', faultTotal);
  for (const [kind, n] of Object.entries(report.faults).sort(([a], [b]) => a.localeCompare(b))) add(`  ${kind}`, n ?? 0);
  add('invocations (crashed / failed)', `${report.invocations.total} (${report.invocations.crashed} / ${report.invocations.failed})`);
  add('tasks submitted', report.submitted);
  add('  accepted (2xx)', report.accepted);
  add('  client retries of a 5xx', report.clientRetries);
  add('  abandoned after a 5xx (state written)', `${report.abandoned} (${report.abandonedButRecorded})`);
  const b = report.bulk;
  add('  through POST /tasks/batch', b.tasks);
  add('batches (requests: resends after a 503 / repeats)', `${b.batches} (${b.requests}: ${b.resends} / ${b.repeats})`);
  add('  invalid items (answered 400)', `${b.invalidItems} (${b.itemStatuses['400'] ?? 0})`);
  add(
    '  item status codes',
    Object.entries(b.itemStatuses)
      .map(([code, n]) => `${code}: ${n}`)
      .join(', '),
  );
  add('SUCCEEDED', report.succeeded);
  add('FAILED', report.failed);
  add('CANCELLED (cancels sent / answered 200)', `${report.cancelled} (${report.cancels.sent} / ${report.cancels.accepted})`);
  add('permanent failures FAILED after 1 attempt', `${report.permanent.afterOneAttempt} / ${report.permanent.failed}`);
  add(
    'attempts timed out (slow tasks SUCCEEDED)',
    `${report.timeouts.attempts} (${report.timeouts.slowSucceeded} / ${report.timeouts.slowTasks})`,
  );
  add('lost', report.lost.length);
  add('stuck', report.stuck.length);
  const d = report.duplicatesAbsorbed;
  add('duplicates absorbed', d.deliveryIgnored + d.duplicateDlqMessages + d.staleDlqMessages);
  add('  DELIVERY_IGNORED', d.deliveryIgnored);
  add('  DUPLICATE_DLQ_MESSAGE', d.duplicateDlqMessages);
  add('  STALE_DLQ_MESSAGE', d.staleDlqMessages);
  add('owed messages re-sent by a redelivery', report.resentByProcessor);
  add('max attempts', report.maxAttempts);
  add('FAILED logged once by the monitor', `${report.failedLoggedOnce} / ${report.failed}`);
  add('histories consistent', `${report.historiesConsistent} / ${report.historiesChecked}`);
  add('reconciler re-sends', report.reconciler.total);
  for (const [status, n] of Object.entries(report.reconciler.resent)) if (n > 0) add(`  ${status}`, n);
  add('reconciler sweeps (aborted by a fault)', `${report.reconciler.runs} (${report.reconciler.errors})`);
  add('drained', report.drained ? 'yes' : 'NO');
  add('wall time (submit to drained)', `${(report.wallTimeMs / 1000).toFixed(1)} s`);
  add('seed', report.seed);
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  const line = `+-${'-'.repeat(width)}-+-${'-'.repeat(valueWidth)}-+`;
  return [line, ...rows.map(([label, value]) => `| ${label.padEnd(width)} | ${value.padStart(valueWidth)} |`), line].join('\n');
}
