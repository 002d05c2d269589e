import type { TaskMix } from '../../bench/capacity';
import { type CostSummary, type LambdaRow, summarizeRun, type TransitionRow } from '../../bench/cost';
import type { Caller, Invocation, OpStats } from '../../bench/counters';
import type { RunResult } from '../../bench/pipeline';
import { loadPrices } from '../../bench/priceTable';

/** A Lambda row of a cost run: `invocations` over the run, their mean duration and GB-seconds. */
export function lambdaRow(functionKey: string, invocations: number, meanDurationMs: number, extra: Partial<LambdaRow> = {}): LambdaRow {
  return {
    functionKey,
    invocations,
    records: invocations,
    meanBatch: 1,
    meanDurationMs,
    p95DurationMs: meanDurationMs,
    memoryMb: 256,
    gbSeconds: (invocations * meanDurationMs * 256) / 1024 / 1000,
    ...extra,
  };
}

/** A write kind of a cost run, per task: how often it happens and its index units. */
export function transition(detail: string, writesPerTask: number, gsiWcuPerTask: number, tasks = 1000): TransitionRow {
  return {
    detail,
    writes: writesPerTask * tasks,
    conditionalFailures: 0,
    tableWcuPerWrite: 1,
    gsiWcuPerWrite: writesPerTask ? gsiWcuPerTask / writesPerTask : 0,
    writesPerTask,
    tableWcuPerTask: writesPerTask,
    gsiWcuPerTask,
  };
}

/**
 * The summary of a ~1 KB cost run of 1,000 tasks, round numbers: 1 API request, 1 submit of
 * 10 ms, 0.2 processTask batches of 50 ms (2 records each), 1.4 SQS requests of 1,200 bytes,
 * 5 table + 3 index write units a task.
 */
export function costSummary(overrides: Partial<CostSummary> = {}): CostSummary {
  const tasks = 1000;
  return {
    label: '~1 KB payloads',
    tasks,
    payloadBytes: 1024,
    succeeded: 970,
    failed: 30,
    attemptsPerTask: 1.4,
    elapsedMs: 10_000,
    perTask: {
      apiRequests: 1,
      lambdaInvocations: 1.2,
      lambdaGbSeconds: 0.003,
      sqsRequests: 1.4,
      sqsBilledRequests: 1.4,
      tableWcu: 5,
      gsiWcu: { byPhase: 3 },
      gsiWcuTotal: 3,
      estimatedWcu: 0,
      wcu: 8,
      rcu: 0,
      logBytes: 1000,
    },
    usdPerMillion: {
      apiGateway: 3.5,
      lambdaRequests: 0.24,
      lambdaDuration: 0.04,
      sqs: 0.56,
      dynamoDbWrites: 5,
      dynamoDbReads: 0,
      total: 9.34,
    },
    pollers: { receives: 300, emptyReceives: 100, deletes: 200, billedPerTask: 0.4, usdPerMillionIfBilled: 0.16 },
    logsUsdPerMillion: 0.5,
    transitions: [
      transition('PutItem PAYLOAD', 1, 0),
      transition('PutItem STATE', 1, 1),
      transition('UpdateItem -> PROCESSING', 1.4, 0),
      transition('UpdateItem -> SUCCEEDED', 0.97, 1.94),
      transition('UpdateItem -> RETRY_SCHEDULED', 0.4, 0),
      transition('UpdateItem -> DEAD_LETTERED', 0.03, 0),
      transition('UpdateItem -> FAILED', 0.03, 0.06),
    ],
    lambda: [lambdaRow('processTask', 200, 50, { records: 1400, meanBatch: 7 }), lambdaRow('submitTask', 1000, 10, { gbSeconds: 2.5 })],
    sqsRows: [
      { caller: 'pipeline', detail: 'SendMessage task queue', calls: 1400, billed: 1400, payloadPerCall: 1200, perTask: 1.4 },
      { caller: 'esm-poller', detail: 'ReceiveMessage task queue', calls: 200, billed: 200, payloadPerCall: 8400, perTask: 0.2 },
    ],
    tableWcuPerStateWrite: 1,
    requests: [],
    ...overrides,
  };
}

/**
 * A task mix of round numbers: 1 API request; submitTask once for 10 ms and processTask 0.2
 * times for 50 ms (0.01 + 0.01 concurrency-seconds a task); 2 deliveries; 5 table and 3 index
 * write units, 2 of them on UNFINISHED.
 */
export function taskMix(overrides: Partial<TaskMix> = {}): TaskMix {
  return {
    label: 'hand-computed',
    apiRequestsPerTask: 1,
    functions: {
      submitTask: { invocationsPerTask: 1, meanDurationMs: 10 },
      processTask: { invocationsPerTask: 0.2, meanDurationMs: 50 },
    },
    consumer: 'processTask',
    deliveriesPerTask: 2,
    tableWcuPerTask: 5,
    indexWcuPerTask: 3,
    indexWcuByPhase: { UNFINISHED: 2, SUCCEEDED: 1 },
    shardSkew: 1,
    shardSkewSource: 'model',
    ...overrides,
  };
}

/** A counter row of a run: `calls` requests of one kind, with what they consumed. */
export function opRow(caller: Caller, detail: string, calls: number, extra: Partial<OpStats> = {}): OpStats {
  const [operation] = detail.split(' ');
  return {
    caller,
    service: /^(SendMessage|ReceiveMessage|DeleteMessage)/.test(operation) ? 'SQS' : 'DynamoDB',
    operation,
    detail,
    calls,
    errors: 0,
    conditionalFailures: 0,
    retries: 0,
    tableWcu: 0,
    gsiWcu: {},
    tableRcu: 0,
    gsiRcu: {},
    estimatedWcu: 0,
    billedRequests: 0,
    payloadBytes: 0,
    messages: 0,
    emptyReceives: 0,
    ...extra,
  };
}

const times = (n: number, invocation: Invocation): Invocation[] => Array.from({ length: n }, () => invocation);

/**
 * What the counters see in a ~1 KB run of 1,000 tasks through POST /tasks/batch, round numbers
 * of a measured one's shape: 10 requests and submitTasks invocations of 500 ms (100 tasks
 * each); the first attempts in 100 SendMessageBatch calls of 10 messages (12 KB, one 64 KB
 * chunk each) and 400 retries as single sends; 200 processTask batches of 50 ms (7 records);
 * 4.83 table and 3 index write units a task.
 */
export function bulkRun(): RunResult {
  const pipeline = (detail: string, calls: number, extra: Partial<OpStats> = {}) => opRow('pipeline', detail, calls, extra);
  return {
    tasks: 1000,
    elapsedMs: 10_000,
    succeeded: 970,
    failed: 30,
    attempts: { 1: 600, 2: 370, 3: 30 },
    pollerNotes: [],
    usage: {
      apiRequests: { 'POST /tasks/batch': 10 },
      invocations: [
        ...times(10, { functionKey: 'submitTasks', durationMs: 500, records: 100 }),
        ...times(200, { functionKey: 'processTask', durationMs: 50, records: 7 }),
      ],
      ops: [
        pipeline('PutItem PAYLOAD', 1000, { tableWcu: 1000 }),
        pipeline('PutItem STATE', 1000, { tableWcu: 1000, gsiWcu: { byPhase: 1000 } }),
        pipeline('UpdateItem -> PROCESSING', 1400, { tableWcu: 1400 }),
        pipeline('UpdateItem -> SUCCEEDED', 970, { tableWcu: 970, gsiWcu: { byPhase: 1940 } }),
        pipeline('UpdateItem -> RETRY_SCHEDULED', 400, { tableWcu: 400 }),
        pipeline('UpdateItem -> DEAD_LETTERED', 30, { tableWcu: 30 }),
        pipeline('UpdateItem -> FAILED', 30, { tableWcu: 30, gsiWcu: { byPhase: 60 } }),
        pipeline('SendMessageBatch task queue', 100, { billedRequests: 100, payloadBytes: 1_200_000, messages: 1000 }),
        pipeline('SendMessage task queue', 400, { billedRequests: 400, payloadBytes: 480_000, messages: 400 }),
        opRow('esm-poller', 'ReceiveMessage task queue', 200, { billedRequests: 200, payloadBytes: 1_680_000, messages: 1400 }),
        opRow('esm-poller', 'DeleteMessageBatch task queue', 200, { billedRequests: 200, messages: 1400 }),
      ],
      logBytes: 1_000_000,
      logLines: 5000,
      indexWrites: {},
    },
  };
}

/** The cost summary of bulkRun() at bench/prices.json's prices, 256 MB functions. */
export function bulkCostSummary(): CostSummary {
  return summarizeRun('~1 KB payloads, POST /tasks/batch of 100', 1024, bulkRun(), loadPrices(), { submitTasks: 256, processTask: 256 });
}
