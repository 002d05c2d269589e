/**
 * The bulk path (`POST /tasks/batch`, up to 100 tasks a request), modelled from the single
 * path's measured trace until the bench can drive it: per task, 1/100 of an API request and of
 * a submitBatch invocation, the first attempt's messages sent 10 to a SendMessageBatch call,
 * everything after the submit (processTask, retries, the DLQ, every DynamoDB write) unchanged.
 *
 * One figure is assumed rather than measured: submitBatch's duration. It is modelled as
 * `durationFactor x tasksPerRequest x` the single submit's mean duration, factor 1 by default
 * (a batch saves no time per task: the conservative end, since it still writes two items per
 * task but pays the invocation's overhead once). To replace it, measure submitBatch's mean
 * duration D at 100 tasks and set `durationFactor = D / (100 x submitTask's mean ms)`.
 */
import { SQS_BATCH_BYTES } from './awsLimits';
import type { FunctionLoad, TaskMix } from './capacity';
import type { CostSummary } from './cost';
import { sqsBilledRequests } from './counters';
import type { PriceTable } from './priceTable';

export interface BulkAssumptions {
  /** Tasks per `POST /tasks/batch` request (the API's maximum). */
  tasksPerRequest: number;
  /** Messages per SendMessageBatch call (SQS's maximum). */
  sendBatchEntries: number;
  /** submitBatch's duration per task over one single submit's (see above). */
  durationFactor: number;
}

export const BULK: BulkAssumptions = { tasksPerRequest: 100, sendBatchEntries: 10, durationFactor: 1 };

export interface BulkCost {
  label: string;
  assumptions: BulkAssumptions;
  perTask: {
    apiRequests: number;
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    sqsBilledRequests: number;
    wcu: number;
    rcu: number;
  };
  /** submitBatch's modelled mean duration and the messages in each of its SendMessageBatch calls. */
  submitBatchDurationMs: number;
  entriesPerSendBatch: number;
  usdPerMillion: CostSummary['usdPerMillion'];
}

/** The single submit's measured row and first-attempt message size, or an error naming what the run lacks. */
function singleSubmit(single: CostSummary) {
  const submit = single.lambda.find((l) => l.functionKey === 'submitTask');
  const sends = single.sqsRows.find((r) => r.caller === 'pipeline' && r.detail === 'SendMessage task queue');
  if (!submit || !sends || submit.invocations === 0)
    throw new Error(`${single.label}: the run has no submitTask invocations or task-queue sends to model the bulk path from`);
  return { submit, messageBytes: sends.payloadPerCall, invocationsPerTask: submit.invocations / single.tasks };
}

/** Messages per SendMessageBatch call: SQS's 10, fewer when 10 messages would pass the call's 1 MiB. */
export function entriesPerBatch(messageBytes: number, wanted: number): number {
  return Math.max(1, Math.min(wanted, Math.floor(SQS_BATCH_BYTES / Math.max(1, messageBytes))));
}

/**
 * US$ per million tasks through `POST /tasks/batch`, from a single-submit run: the API and
 * submit Lambda requests divided by the tasks per request, submitBatch's GB-seconds at the
 * modelled duration, the first attempt's SQS requests as batch calls billed per started 64 KB
 * chunk of the whole call (bench/prices.json's SQS rule); the rest as measured.
 */
export function bulkCost(single: CostSummary, prices: PriceTable, assumptions: BulkAssumptions = BULK): BulkCost {
  const { submit, messageBytes, invocationsPerTask } = singleSubmit(single);
  const perRequest = assumptions.tasksPerRequest;
  const durationMs = assumptions.durationFactor * perRequest * submit.meanDurationMs;
  const rounding = prices.lambda.durationRoundingMs;
  const batchGbSeconds = ((Math.ceil(durationMs / rounding) * rounding) / 1000) * (submit.memoryMb / 1024);
  const entries = entriesPerBatch(messageBytes, assumptions.sendBatchEntries);
  const firstAttemptSingle = invocationsPerTask * sqsBilledRequests(messageBytes);
  const firstAttemptBulk = (invocationsPerTask * sqsBilledRequests(entries * messageBytes)) / entries;

  const p = single.perTask;
  const perTask = {
    apiRequests: p.apiRequests / perRequest,
    lambdaInvocations: p.lambdaInvocations - invocationsPerTask + invocationsPerTask / perRequest,
    lambdaGbSeconds: p.lambdaGbSeconds - submit.gbSeconds / single.tasks + (invocationsPerTask * batchGbSeconds) / perRequest,
    sqsBilledRequests: p.sqsBilledRequests - firstAttemptSingle + firstAttemptBulk,
    wcu: p.wcu,
    rcu: p.rcu,
  };
  const usdPerMillion = {
    apiGateway: perTask.apiRequests * prices.apiGateway.restApiRequestsPerMillion,
    lambdaRequests: perTask.lambdaInvocations * prices.lambda.requestsPerMillion,
    lambdaDuration: perTask.lambdaGbSeconds * 1e6 * prices.lambda.arm64GbSecond,
    sqs: perTask.sqsBilledRequests * prices.sqs.standardRequestsPerMillion,
    dynamoDbWrites: single.usdPerMillion.dynamoDbWrites,
    dynamoDbReads: single.usdPerMillion.dynamoDbReads,
    total: 0,
  };
  usdPerMillion.total = Object.values(usdPerMillion).reduce((a, b) => a + b, 0);
  return {
    label: `${single.label}, POST /tasks/batch of ${perRequest} (modelled)`,
    assumptions,
    perTask,
    submitBatchDurationMs: durationMs,
    entriesPerSendBatch: entries,
    usdPerMillion,
  };
}

/** The task mix through `POST /tasks/batch`: submitTask's load replaced by submitBatch's, the rest as measured. */
export function bulkMix(single: TaskMix, assumptions: BulkAssumptions = BULK): TaskMix {
  const { submitTask, ...others } = single.functions;
  if (!submitTask) throw new Error(`${single.label}: no submitTask load to model the bulk path from`);
  const submitBatch: FunctionLoad = {
    invocationsPerTask: submitTask.invocationsPerTask / assumptions.tasksPerRequest,
    meanDurationMs: assumptions.durationFactor * assumptions.tasksPerRequest * submitTask.meanDurationMs,
  };
  return {
    ...single,
    label: `POST /tasks/batch of ${assumptions.tasksPerRequest} (modelled)`,
    apiRequestsPerTask: single.apiRequestsPerTask / assumptions.tasksPerRequest,
    functions: { submitBatch, ...others },
  };
}
