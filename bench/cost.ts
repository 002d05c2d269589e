/**
 * Cost per task from what the counters saw during one pipeline run, converted to US$ per
 * million tasks with bench/prices.json. The user's bill (the "pipeline" caller) counts:
 * 1 API Gateway request per submit; one Lambda request per submit and per batch the pollers
 * handed to processTask/monitorDlq, with its measured duration (rounded up to 1 ms) at the
 * function's memorySize, arm64 price; the SQS requests the handlers make, in 64 KB chunks;
 * DynamoDB read and write units, table and GSI apart. The event source pollers' own
 * ReceiveMessage/DeleteMessageBatch calls are kept out of that bill and reported separately.
 */
import type { OpStats, UsageSnapshot } from './counters';
import { fixed, kb, table, usd, type Cell } from './format';
import type { RunResult } from './pipeline';
import type { PriceTable } from './priceTable';
import { sum } from '../tools/stats';

export interface TransitionRow {
  detail: string;
  /** Writes that applied (conditional failures excluded). */
  writes: number;
  conditionalFailures: number;
  tableWcuPerWrite: number;
  gsiWcuPerWrite: number;
  /** Per task of the run: how often this write happens and what it costs in total. */
  writesPerTask: number;
  tableWcuPerTask: number;
  gsiWcuPerTask: number;
}

export interface LambdaRow {
  functionKey: string;
  invocations: number;
  records: number;
  meanBatch: number;
  meanDurationMs: number;
  p95DurationMs: number;
  memoryMb: number;
  gbSeconds: number;
}

export interface CostSummary {
  label: string;
  tasks: number;
  payloadBytes: number;
  succeeded: number;
  failed: number;
  attemptsPerTask: number;
  elapsedMs: number;
  perTask: {
    apiRequests: number;
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    sqsRequests: number;
    sqsBilledRequests: number;
    tableWcu: number;
    gsiWcu: Record<string, number>;
    gsiWcuTotal: number;
    estimatedWcu: number;
    wcu: number;
    rcu: number;
    logBytes: number;
  };
  /** US$ per million tasks, the user's bill (pollers excluded). */
  usdPerMillion: {
    apiGateway: number;
    lambdaRequests: number;
    lambdaDuration: number;
    sqs: number;
    dynamoDbWrites: number;
    dynamoDbReads: number;
    total: number;
  };
  pollers: {
    receives: number;
    emptyReceives: number;
    deletes: number;
    /** Requests per task for receives that returned messages, plus deletes (billed chunks). */
    billedPerTask: number;
    /** US$ per million tasks if AWS billed them (see the report's note). */
    usdPerMillionIfBilled: number;
  };
  /** CloudWatch Logs ingestion of the handlers' log and EMF lines: informational, not in the total. */
  logsUsdPerMillion: number;
  transitions: TransitionRow[];
  lambda: LambdaRow[];
  sqsRows: { caller: string; detail: string; calls: number; billed: number; payloadPerCall: number; perTask: number }[];
  /** Mean table write units of one state-item write (the QUEUED put and every transition). */
  tableWcuPerStateWrite: number;
  /** Every counter row of the run (pipeline and pollers), for results.json. */
  requests: OpStats[];
}

const gsiTotal = (row: OpStats) => sum(Object.values(row.gsiWcu));

function isStateWrite(row: OpStats): boolean {
  return row.service === 'DynamoDB' && (row.detail === 'PutItem STATE' || row.detail.startsWith('UpdateItem'));
}

export function summarizeRun(
  label: string,
  payloadBytes: number,
  run: RunResult,
  prices: PriceTable,
  memoryMb: Record<string, number>,
): CostSummary {
  const n = run.tasks;
  const usage: UsageSnapshot = run.usage;
  const mine = usage.ops.filter((row) => row.caller === 'pipeline');
  const dynamo = mine.filter((row) => row.service === 'DynamoDB');
  const sqs = mine.filter((row) => row.service === 'SQS');
  const pollerSqs = usage.ops.filter((row) => row.caller === 'esm-poller' && row.service === 'SQS');

  const gsiWcu: Record<string, number> = {};
  for (const row of dynamo) for (const [name, units] of Object.entries(row.gsiWcu)) gsiWcu[name] = (gsiWcu[name] ?? 0) + units / n;
  const tableWcu = sum(dynamo.map((r) => r.tableWcu)) / n;
  const estimatedWcu = sum(dynamo.map((r) => r.estimatedWcu)) / n;
  const gsiWcuTotal = sum(Object.values(gsiWcu));
  const rcu = sum(dynamo.map((r) => r.tableRcu + sum(Object.values(r.gsiRcu)))) / n;

  const lambda: LambdaRow[] = [...new Set(usage.invocations.map((i) => i.functionKey))].sort().map((functionKey) => {
    const calls = usage.invocations.filter((i) => i.functionKey === functionKey);
    const rounding = prices.lambda.durationRoundingMs;
    const billedMs = sum(calls.map((c) => Math.ceil(c.durationMs / rounding) * rounding));
    const durations = calls.map((c) => c.durationMs).sort((a, b) => a - b);
    const memory = memoryMb[functionKey] ?? 1024;
    return {
      functionKey,
      invocations: calls.length,
      records: sum(calls.map((c) => c.records)),
      meanBatch: sum(calls.map((c) => c.records)) / calls.length,
      meanDurationMs: sum(durations) / calls.length,
      p95DurationMs: durations[Math.min(durations.length - 1, Math.ceil(0.95 * durations.length) - 1)],
      memoryMb: memory,
      gbSeconds: (billedMs / 1000) * (memory / 1024),
    };
  });
  const lambdaInvocations = sum(lambda.map((l) => l.invocations)) / n;
  const lambdaGbSeconds = sum(lambda.map((l) => l.gbSeconds)) / n;
  const apiRequests = sum(Object.values(usage.apiRequests)) / n;
  const sqsBilled = sum(sqs.map((r) => r.billedRequests)) / n;
  const perTask = {
    apiRequests,
    lambdaInvocations,
    lambdaGbSeconds,
    sqsRequests: sum(sqs.map((r) => r.calls)) / n,
    sqsBilledRequests: sqsBilled,
    tableWcu,
    gsiWcu,
    gsiWcuTotal,
    estimatedWcu,
    wcu: tableWcu + gsiWcuTotal + estimatedWcu,
    rcu,
    logBytes: usage.logBytes / n,
  };

  const usdPerMillion = {
    apiGateway: apiRequests * prices.apiGateway.restApiRequestsPerMillion,
    lambdaRequests: lambdaInvocations * prices.lambda.requestsPerMillion,
    lambdaDuration: lambdaGbSeconds * 1e6 * prices.lambda.arm64GbSecond,
    sqs: sqsBilled * prices.sqs.standardRequestsPerMillion,
    dynamoDbWrites: perTask.wcu * prices.dynamoDb.onDemandWriteRequestUnitsPerMillion,
    dynamoDbReads: rcu * prices.dynamoDb.onDemandReadRequestUnitsPerMillion,
    total: 0,
  };
  usdPerMillion.total = sum(Object.values(usdPerMillion));

  const receives = pollerSqs.filter((r) => r.operation === 'ReceiveMessage');
  const deletes = pollerSqs.filter((r) => r.operation.startsWith('DeleteMessage'));
  const emptyReceives = sum(receives.map((r) => r.emptyReceives));
  // Receives that returned messages are billed by the bytes returned; empty ones are 1 each.
  const pollerBilled = (sum(receives.map((r) => r.billedRequests)) - emptyReceives + sum(deletes.map((r) => r.billedRequests))) / n;

  const transitions: TransitionRow[] = dynamo
    .filter((row) => row.operation === 'PutItem' || row.operation === 'UpdateItem')
    .map((row) => {
      const writes = row.calls - row.errors;
      return {
        detail: row.detail,
        writes,
        conditionalFailures: row.conditionalFailures,
        tableWcuPerWrite: writes ? row.tableWcu / writes : 0,
        gsiWcuPerWrite: writes ? gsiTotal(row) / writes : 0,
        writesPerTask: writes / n,
        tableWcuPerTask: row.tableWcu / n,
        gsiWcuPerTask: gsiTotal(row) / n,
      };
    })
    .sort((a, b) => ORDER.indexOf(a.detail) - ORDER.indexOf(b.detail));

  const stateWrites = dynamo.filter(isStateWrite);
  const stateWriteCount = sum(stateWrites.map((r) => r.calls - r.errors));
  const allRuns = run.attempts;
  return {
    label,
    tasks: n,
    payloadBytes,
    succeeded: run.succeeded,
    failed: run.failed,
    attemptsPerTask: sum(Object.entries(allRuns).map(([a, count]) => Number(a) * count)) / n,
    elapsedMs: run.elapsedMs,
    perTask,
    usdPerMillion,
    pollers: {
      receives: sum(receives.map((r) => r.calls)),
      emptyReceives,
      deletes: sum(deletes.map((r) => r.calls)),
      billedPerTask: pollerBilled,
      usdPerMillionIfBilled: pollerBilled * prices.sqs.standardRequestsPerMillion,
    },
    logsUsdPerMillion: ((perTask.logBytes * 1e6) / 1e9) * prices.cloudWatchLogs.ingestionPerGb,
    transitions,
    lambda,
    sqsRows: [...sqs, ...pollerSqs].map((r) => ({
      caller: r.caller,
      detail: r.detail,
      calls: r.calls,
      billed: r.billedRequests,
      payloadPerCall: r.calls ? r.payloadBytes / r.calls : 0,
      perTask: r.calls / n,
    })),
    tableWcuPerStateWrite: stateWriteCount ? sum(stateWrites.map((r) => r.tableWcu)) / stateWriteCount : 0,
    requests: usage.ops,
  };
}

const ORDER = [
  'PutItem PAYLOAD',
  'PutItem STATE',
  'UpdateItem -> PROCESSING',
  'UpdateItem -> SUCCEEDED',
  'UpdateItem -> RETRY_SCHEDULED',
  'UpdateItem -> DEAD_LETTERED',
  'UpdateItem -> FAILED',
  'UpdateItem -> QUEUED',
];

/** The printed tables of one run. */
export function formatCost(s: CostSummary, prices: PriceTable): string {
  const p = s.perTask;
  const c = s.usdPerMillion;
  const lines: string[] = [];
  lines.push(
    `${s.label}: ${s.tasks} tasks, payload ${kb(s.payloadBytes)}, ${s.succeeded} SUCCEEDED / ${s.failed} FAILED, ` +
      `${fixed(s.attemptsPerTask, 3)} attempts per task, ${(s.elapsedMs / 1000).toFixed(1)} s`,
  );
  const rows: Cell[][] = [
    ['API Gateway REST requests', fixed(p.apiRequests, 3), `x $${prices.apiGateway.restApiRequestsPerMillion}/M`, usd(c.apiGateway)],
    ['Lambda requests', fixed(p.lambdaInvocations, 3), `x $${prices.lambda.requestsPerMillion}/M`, usd(c.lambdaRequests)],
    ['Lambda GB-seconds (arm64)', p.lambdaGbSeconds.toExponential(3), `x $${prices.lambda.arm64GbSecond}/GB-s`, usd(c.lambdaDuration)],
    ['SQS billed requests (64 KB chunks)', fixed(p.sqsBilledRequests, 3), `x $${prices.sqs.standardRequestsPerMillion}/M`, usd(c.sqs)],
    [
      `DynamoDB write units (table ${fixed(p.tableWcu)} + GSI ${fixed(p.gsiWcuTotal)}${p.estimatedWcu ? ` + failed-cond ${fixed(p.estimatedWcu)}` : ''})`,
      fixed(p.wcu, 3),
      `x $${prices.dynamoDb.onDemandWriteRequestUnitsPerMillion}/M`,
      usd(c.dynamoDbWrites),
    ],
    ['DynamoDB read units', fixed(p.rcu, 3), `x $${prices.dynamoDb.onDemandReadRequestUnitsPerMillion}/M`, usd(c.dynamoDbReads)],
    ['TOTAL (user bill, pollers excluded)', '', '', usd(c.total)],
    [
      'Lambda ESM poller SQS requests (not in TOTAL)',
      fixed(s.pollers.billedPerTask, 3),
      `x $${prices.sqs.standardRequestsPerMillion}/M`,
      usd(s.pollers.usdPerMillionIfBilled),
    ],
    ['TOTAL incl. ESM poller requests', '', '', usd(c.total + s.pollers.usdPerMillionIfBilled)],
    [
      'CloudWatch Logs ingestion (info, not in TOTAL)',
      `${Math.round(p.logBytes)} B`,
      `x $${prices.cloudWatchLogs.ingestionPerGb}/GB`,
      usd(s.logsUsdPerMillion),
    ],
  ];
  lines.push(table(['component', 'units per task', 'price', 'US$ per 1M tasks'], rows));
  lines.push('');
  lines.push('DynamoDB writes by kind (applied writes; units per write and per task):');
  lines.push(
    table(
      ['write', 'per task', 'table WCU/write', 'GSI WCU/write', 'table WCU/task', 'GSI WCU/task', 'cond. failures'],
      s.transitions.map((t) => [
        t.detail,
        fixed(t.writesPerTask, 3),
        fixed(t.tableWcuPerWrite),
        fixed(t.gsiWcuPerWrite),
        fixed(t.tableWcuPerTask, 3),
        fixed(t.gsiWcuPerTask, 3),
        t.conditionalFailures,
      ]),
    ),
  );
  lines.push('');
  lines.push('Lambda invocations (durations measured in-process; GB-s at serverless.yml memorySize):');
  lines.push(
    table(
      ['function', 'invocations', 'records', 'mean batch', 'mean ms', 'p95 ms', 'MB', 'GB-s'],
      s.lambda.map((l) => [
        l.functionKey,
        l.invocations,
        l.records,
        fixed(l.meanBatch, 1),
        fixed(l.meanDurationMs, 1),
        fixed(l.p95DurationMs, 1),
        l.memoryMb,
        fixed(l.gbSeconds, 3),
      ]),
    ),
  );
  lines.push('');
  lines.push('SQS requests (pipeline = user code; esm-poller = Lambda event source mapping):');
  lines.push(
    table(
      ['caller / request', 'calls', 'per task', 'billed', 'payload/call'],
      s.sqsRows.map((r) => [`${r.caller} ${r.detail}`, r.calls, fixed(r.perTask, 3), r.billed, `${Math.round(r.payloadPerCall)} B`]),
    ),
  );
  lines.push(`  pollers: ${s.pollers.receives} receives (${s.pollers.emptyReceives} empty), ${s.pollers.deletes} delete batches`);
  return lines.join('\n');
}
