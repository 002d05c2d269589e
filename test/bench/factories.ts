import type { TaskMix } from '../../bench/capacity';
import type { CostSummary, LambdaRow, TransitionRow } from '../../bench/cost';

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
