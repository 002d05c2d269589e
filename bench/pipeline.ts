/**
 * The pipeline under measurement: the REAL handlers (submitTask or submitTasks, processTask, monitorDlq)
 * running in this process against DynamoDB Local and fauxqs, fed by the Lambda-like pollers
 * of the local stack (devstack/), as in test/integration/harness.ts. The difference:
 * every client is counted (bench/counters.ts), the failure draws are seeded, each Lambda
 * invocation is timed, and the handlers' log and metrics lines are counted (their logger and
 * metrics hand each line to the counter) instead of printed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, SQSEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { createHandler as createMonitor } from '../handlers/monitorDlq';
import { createHandler as createProcessor } from '../handlers/processTask';
import { createHandler as createSubmit } from '../handlers/submitTask';
import { createHandler as createSubmitBatch } from '../handlers/submitTasks';
import { loadConfig, type Config } from '../lib/config';
import { storeOptions } from '../lib/runtime';
import type { Deps } from '../lib/deps';
import { RecordingLogger } from '../lib/adapters/logger';
import { EmfMetrics } from '../lib/adapters/metrics';
import type { Transition } from '../lib/domain/stateMachine';
import { isTerminal, type TaskState } from '../lib/domain/task';
import { SqsTaskQueue } from '../lib/adapters/taskQueue';
import { DynamoTaskStore } from '../lib/adapters/taskStore';
import { seededRandom } from '../lib/domain/random';
import {
  LOCAL_CREDENTIALS,
  createResources,
  eventSourceMappings,
  startPoller,
  type Invoker,
  type LocalResources,
  type LocalServers,
  type Poller,
} from '../devstack';
import { mapLimit } from '../lib/domain/concurrency';
import { pollUntil, sleep } from '../tools/poll';
import { instrumentDynamoDb, instrumentSqs, type Caller, type UsageCounter, type UsageSnapshot } from './counters';
import { msSince, payloadOfSize } from './measure';
import { registryFor } from '../lib/types/registry';

export interface BenchTask {
  taskId: string;
  payload: Record<string, unknown>;
}

/** `count` tasks with ~`payloadBytes` payloads; ids of equal length in every run, so item sizes differ only by what a run varies. */
export function tasksOf(prefix: string, count: number, payloadBytes: number, seed: number): BenchTask[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    taskId: `${prefix}-${String(i).padStart(6, '0')}`,
    payload: payloadOfSize(payloadBytes, random),
  }));
}

export interface RunResult {
  tasks: number;
  /** First submit to the last terminal transition. */
  elapsedMs: number;
  succeeded: number;
  failed: number;
  /** Terminal tasks by how many attempts they took. */
  attempts: Record<number, number>;
  usage: UsageSnapshot;
  /** What the pollers reported (failed invocations or records), if anything. */
  pollerNotes: string[];
}

/** Clients pointed at the local servers, with the counting middleware for `caller`. */
export function countedClients(servers: LocalServers, counter: UsageCounter, caller: Caller) {
  const options = { region: servers.region, credentials: LOCAL_CREDENTIALS };
  return {
    dynamoDb: instrumentDynamoDb(new DynamoDBClient({ ...options, endpoint: servers.dynamoDb.endpoint }), counter, caller),
    sqs: instrumentSqs(new SQSClient({ ...options, endpoint: servers.sqs.endpoint }), counter, caller),
  };
}

/** Memory (MB) of each function, from serverless.yml: the function's memorySize or provider.memorySize. */
export function memorySizes(servers: LocalServers): Record<string, number> {
  const providerMemory = Number((servers.config.provider as Record<string, unknown>).memorySize ?? 1024);
  return Object.fromEntries(
    Object.entries(servers.config.functions).map(([key, fn]) => [
      key,
      Number((fn as unknown as { memorySize?: number }).memorySize ?? providerMemory),
    ]),
  );
}

/** An API Gateway (REST, proxy) event for a POST to `route` with a JSON body, as the submit handlers receive it. */
function postEvent(route: string, body: unknown): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: route,
    resource: route,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/** The event of POST /tasks for one task. */
export function postTasksEvent(task: BenchTask): APIGatewayProxyEvent {
  return postEvent('/tasks', task);
}

/** The event of POST /tasks/batch for `tasks` (1 to 100). */
export function postTasksBatchEvent(tasks: readonly BenchTask[]): APIGatewayProxyEvent {
  return postEvent('/tasks/batch', { tasks });
}

/** `tasks` cut into requests of `perRequest` tasks, in order (the last one may be shorter). */
export function requestsOf<T>(tasks: readonly T[], perRequest: number): T[][] {
  if (!(Number.isInteger(perRequest) && perRequest >= 1))
    throw new Error(`tasks per request must be a positive integer; got ${perRequest}`);
  return Array.from({ length: Math.ceil(tasks.length / perRequest) }, (_, i) => tasks.slice(i * perRequest, (i + 1) * perRequest));
}

/** Counts a JSON line (a log line or an EMF metrics line) as CloudWatch Logs would ingest it: its UTF-8 bytes and the newline. */
function countLine(counter: UsageCounter): (line: string) => void {
  return (line) => counter.recordLogBytes(Buffer.byteLength(line, 'utf8') + 1, 1);
}

/** Waits until both queues hold no message (visible, in flight or delayed). */
export async function waitForEmptyQueues(servers: LocalServers, resources: LocalResources, timeoutMs: number): Promise<void> {
  const urls = Object.values(resources.queues).map((queue) => queue.url);
  let last = '';
  await pollUntil(
    async () => {
      const counts = await Promise.all(
        urls.map(async (url) => {
          const { Attributes } = await servers.clients.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: [
                'ApproximateNumberOfMessages',
                'ApproximateNumberOfMessagesNotVisible',
                'ApproximateNumberOfMessagesDelayed',
              ],
            }),
          );
          return Object.values(Attributes ?? {}).reduce((n, v) => n + Number(v), 0);
        }),
      );
      last = counts.join('/');
      return counts.every((n) => n === 0);
    },
    { timeoutMs, failure: () => `queues not empty after ${timeoutMs} ms (messages per queue: ${last})` },
  );
}

/**
 * serverless.yml's queues created again as `<prefix>-<name>` (same attributes; the RedrivePolicy
 * points at the prefixed DLQ), next to the same table. Each measured pipeline gets queues of its
 * own: a stopped poller's aborted long poll stays open in fauxqs for up to 20 s and would take
 * (and hide for the visibility timeout) the first messages of whoever polls the queue next.
 */
export async function isolatedQueues(servers: LocalServers, prefix: string): Promise<LocalResources> {
  const all = structuredClone(servers.config.resources?.Resources ?? {});
  const queues = Object.fromEntries(Object.entries(all).filter(([, resource]) => resource.Type === 'AWS::SQS::Queue'));
  for (const queue of Object.values(queues)) {
    if (queue.Properties) queue.Properties.QueueName = `${prefix}-${String(queue.Properties.QueueName)}`;
  }
  const created = await createResources({ ...servers.config, resources: { Resources: queues } }, servers.clients, servers.sqs.endpoint);
  return { ...servers.resources, queues: created.queues, attributes: { ...servers.resources.attributes, ...created.attributes } };
}

/** The function environment with every URL of one of the yml's queues replaced by the URL of its counterpart in `resources`. */
function environmentFor(servers: LocalServers, resources: LocalResources): Record<string, string> {
  const env = { ...servers.env };
  for (const [logicalId, queue] of Object.entries(servers.resources.queues)) {
    for (const [name, value] of Object.entries(env)) if (value === queue.url) env[name] = resources.queues[logicalId].url;
  }
  return env;
}

export interface PipelineOptions {
  seed: number;
  failureRate: number;
  backoffBaseSeconds: number;
  /** Batches in flight per queue (Lambda's event source mapping starts with 5 pollers; npm start uses 2). */
  pollerConcurrency: number;
  /** What-if: replaces serverless.yml's maximumBatchingWindow of every mapping (seconds). */
  batchingWindowSeconds?: number;
  /** false runs the stage with INDEX_SUCCEEDED=false (SUCCEEDED tasks left out of the index). */
  indexSucceeded?: boolean;
}

export interface BenchPipeline {
  /**
   * Submits `tasks` with `submitConcurrency` requests in flight, one task a POST /tasks or, with
   * `tasksPerRequest`, that many a POST /tasks/batch; waits until every task is SUCCEEDED or
   * FAILED and both queues are empty, and returns what was counted meanwhile (the counter is
   * reset first).
   */
  run(tasks: BenchTask[], options: RunOptions): Promise<RunResult>;
  stop(): Promise<void>;
}

export interface RunOptions {
  submitConcurrency: number;
  timeoutMs: number;
  seed?: number;
  /** Submit through POST /tasks/batch, this many tasks a request (absent: POST /tasks, one a request). */
  tasksPerRequest?: number;
}

interface CurrentRun {
  wanted: Set<string>;
  terminal: Map<string, TaskState>;
  lastTerminalAt: number;
}

/**
 * Starts the pipeline on `resources`' queues: handlers wired to counted clients, and pollers
 * that run until stop() (see isolatedQueues for why a pipeline keeps its queues to itself).
 */
export function startPipeline(
  servers: LocalServers,
  counter: UsageCounter,
  options: PipelineOptions,
  resources: LocalResources = servers.resources,
): BenchPipeline {
  const config: Config = loadConfig({
    ...environmentFor(servers, resources),
    FAILURE_RATE: String(options.failureRate),
    BACKOFF_BASE_SECONDS: String(options.backoffBaseSeconds),
    BACKOFF_JITTER: 'none',
    ALLOW_SIMULATION_OVERRIDE: 'false',
    ...(options.indexSucceeded === false ? { INDEX_SUCCEEDED: 'false' } : {}),
  });
  const userClients = countedClients(servers, counter, 'pipeline');
  const pollerClients = countedClients(servers, counter, 'esm-poller');
  const store = new DynamoTaskStore(userClients.dynamoDb, config.tableName, storeOptions(config));

  let current: CurrentRun | undefined;
  let random = seededRandom(options.seed);
  // Sees every transition's result: no extra request is made to learn when a task is done.
  const watchedStore = Object.create(store) as DynamoTaskStore;
  watchedStore.transition = async (t: Transition) => {
    const result = await store.transition(t);
    if (current && result.applied && isTerminal(result.task.status) && current.wanted.has(t.taskId)) {
      current.terminal.set(t.taskId, result.task);
      current.lastTerminalAt = Date.now();
    }
    return result;
  };
  const count = countLine(counter);
  const deps: Deps = {
    config,
    store: watchedStore,
    queue: new SqsTaskQueue(userClients.sqs, config),
    log: new RecordingLogger((_entry, line) => count(line), { serviceName: config.serviceName, logLevel: config.logLevel }),
    metrics: new EmfMetrics(config.metricsNamespace, config.serviceName, count),
    clock: () => new Date(),
    random: () => random(),
    types: registryFor(config, () => random()),
    newId: ulid,
  };

  const submit = createSubmit(() => deps);
  const submitBatch = createSubmitBatch(() => deps);
  // Each request is counted as API Gateway and Lambda would bill it: one request, one invocation of its measured duration.
  const submitOne = async (task: BenchTask) => {
    counter.recordApiRequest('POST /tasks');
    const start = process.hrtime.bigint();
    const response = await submit(postTasksEvent(task));
    counter.recordInvocation('submitTask', msSince(start), 1);
    if (response.statusCode !== 202) throw new Error(`POST /tasks ${task.taskId} answered ${response.statusCode}: ${response.body}`);
  };
  const submitMany = async (batch: BenchTask[]) => {
    counter.recordApiRequest('POST /tasks/batch');
    const start = process.hrtime.bigint();
    const response = await submitBatch(postTasksBatchEvent(batch));
    counter.recordInvocation('submitTasks', msSince(start), batch.length);
    const counts = response.statusCode === 200 ? (JSON.parse(response.body) as { counts?: Record<string, number> }).counts : undefined;
    if (counts?.['202'] !== batch.length)
      throw new Error(
        `POST /tasks/batch of ${batch.length} from ${batch[0]?.taskId} answered ${response.statusCode} ` +
          `(${counts ? `counts ${JSON.stringify(counts)}, not all 202` : response.body.slice(0, 500)})`,
      );
  };
  const handlers: Record<string, (event: SQSEvent) => Promise<unknown>> = {};
  const keyByName: Record<string, string> = {};
  for (const [key, create] of [
    ['processTask', createProcessor],
    ['monitorDlq', createMonitor],
  ] as const) {
    const name = servers.config.functions[key].name;
    handlers[name] = create(() => deps);
    keyByName[name] = key;
  }
  // Lambda bills each invocation's duration: time the handler, batch by batch.
  const invoke: Invoker = async (functionName, event) => {
    const start = process.hrtime.bigint();
    try {
      return { ok: true, payload: await handlers[functionName](event) };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    } finally {
      counter.recordInvocation(keyByName[functionName], msSince(start), event.Records.length);
    }
  };

  const problems: string[] = [];
  const mappings = eventSourceMappings(servers.config, resources, options.pollerConcurrency).map((mapping) =>
    options.batchingWindowSeconds === undefined ? mapping : { ...mapping, maximumBatchingWindowSeconds: options.batchingWindowSeconds },
  );
  const pollers: Poller[] = mappings.map((mapping) =>
    startPoller(mapping, pollerClients.sqs, invoke, (line) => problems.push(`${mapping.functionKey}: ${line}`)),
  );

  const run: BenchPipeline['run'] = async (tasks, runOptions) => {
    const state: CurrentRun = { wanted: new Set(tasks.map((task) => task.taskId)), terminal: new Map(), lastTerminalAt: 0 };
    current = state;
    if (runOptions.seed !== undefined) random = seededRandom(runOptions.seed);
    counter.reset();
    const startedAt = Date.now();
    if (runOptions.tasksPerRequest === undefined) await mapLimit(tasks, runOptions.submitConcurrency, submitOne);
    else await mapLimit(requestsOf(tasks, runOptions.tasksPerRequest), runOptions.submitConcurrency, submitMany);
    await pollUntil(() => state.terminal.size === state.wanted.size, {
      timeoutMs: runOptions.timeoutMs,
      intervalMs: 20,
      failure: () =>
        `${state.wanted.size - state.terminal.size} of ${state.wanted.size} tasks not SUCCEEDED/FAILED after ${runOptions.timeoutMs} ms; ` +
        `poller notes: ${problems.slice(-3).join(' | ') || 'none'}`,
    });
    const elapsedMs = state.lastTerminalAt - startedAt;
    // The pollers delete what they processed just after the handler returns: wait for that.
    await waitForEmptyQueues(servers, resources, 30_000);
    await sleep(100);
    const usage = counter.snapshot();
    current = undefined;
    const states = [...state.terminal.values()];
    const attempts: Record<number, number> = {};
    for (const s of states) attempts[s.attempts] = (attempts[s.attempts] ?? 0) + 1;
    return {
      tasks: tasks.length,
      elapsedMs,
      succeeded: states.filter((s) => s.status === 'SUCCEEDED').length,
      failed: states.filter((s) => s.status === 'FAILED').length,
      attempts,
      usage,
      pollerNotes: problems.splice(0),
    };
  };

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
      for (const client of [userClients, pollerClients]) {
        client.dynamoDb.destroy();
        client.sqs.destroy();
      }
    })());
  return { run, stop };
}
