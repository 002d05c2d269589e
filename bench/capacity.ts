/**
 * The capacity model: from the measured per-task mix of requests (API calls, Lambda
 * invocations and their mean durations, queue deliveries, DynamoDB write units by table, index
 * and index phase), the sustained tasks per second each AWS limit of bench/awsLimits.ts allows
 * under given settings (serverless.yml's params and the account's quotas), which one binds
 * first, and what each takes at a target rate. Pure functions: `npm run bench -- --capacity`
 * feeds them the latest bench/results.json; the tests feed them hand-computed cases.
 *
 * Each row is `limit / (demand per task)`: API requests against the account and usage-plan
 * throttles; concurrency (invocations x duration) against Lambda's quota and the event
 * source's maximumConcurrency; write units against the table-level quota and, per partition
 * key, against a partition's 1,000 units/s. Ramps (how fast Lambda and DynamoDB scale up) are
 * not sustained limits: their rows say how long reaching the target takes instead.
 */
import { AWS_LIMITS, USAGE_PLAN_SOURCE } from './awsLimits';
import type { CostSummary } from './cost';
import { fixed, table } from './format';

export interface FunctionLoad {
  invocationsPerTask: number;
  meanDurationMs: number;
}

/** What one task costs each AWS service, on average over the run's mix of outcomes. */
export interface TaskMix {
  label: string;
  apiRequestsPerTask: number;
  /** Every Lambda function the tasks invoke, by function key. */
  functions: Record<string, FunctionLoad>;
  /** The task queue's consumer: the function whose event source has maximumConcurrency. */
  consumer: string;
  /** Messages the consumer receives per task (one per attempt, plus duplicates). */
  deliveriesPerTask: number;
  /** Write units per task on the table (all of a task's on its own partition key, `TASK#<taskId>`). */
  tableWcuPerTask: number;
  /** Write units per task on the byPhase index, all phases and shards. */
  indexWcuPerTask: number;
  /** The same by index phase (UNFINISHED, SUCCEEDED, ...), all shards of a phase together. */
  indexWcuByPhase: Record<string, number>;
  /** The hottest shard's share of its phase x the shards: 1 for a perfectly even hash. */
  shardSkew: number;
  /** Where shardSkew comes from (measured trace, or the model's 1/N). */
  shardSkewSource: string;
}

/** The knobs: serverless.yml's params and the account quotas the model checks against. */
export interface Settings {
  label: string;
  apiAccountRps: number;
  apiRateLimit: number;
  apiBurstLimit: number;
  apiQuotaPerDay: number;
  lambdaConcurrency: number;
  processorMaxConcurrency: number;
  /** DynamoDB's table-level write quota (on-demand), for the table and for its index. */
  tableWriteUnits: number;
  indexShards: number;
  /** Notes on where a setting came from (e.g. a param missing from serverless.yml). */
  notes: string[];
}

export interface CapacityRow {
  limit: string;
  value: string;
  /** Sustained tasks/s the limit allows (Infinity: none; NaN: a ramp, not a sustained limit). */
  tasksPerSecond: number;
  /** Share of the limit the target rate takes (NaN for ramps). */
  useAtTarget: number;
  binding: boolean;
  /** The param or request that raises it, in a few words. */
  raise: string;
  source: string;
  /** For ramps: how long reaching the target takes. */
  note?: string;
}

export interface CapacityResult {
  mix: string;
  settings: string;
  target: number;
  rows: CapacityRow[];
  /** The first limit the rate reaches. */
  binding: CapacityRow;
  tasksPerSecond: number;
  hottestIndexKey: { phase: string; writesPerTask: number; writesPerSecondAtTarget: number; useAtTarget: number };
  /** Sustains the target with the hottest index key under `hotKeyCeiling` of a partition. */
  meetsTarget: boolean;
}

/** DynamoDB's transitions that finish a task: their index units delete the UNFINISHED entry and put the new phase's. */
const FINISHED_PHASES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * Index write units per task by phase, from the cost run's writes: a submit puts the task on
 * UNFINISHED; a finishing write deletes that entry (1 unit, keys only) and, if the phase is
 * indexed, puts the new one (the rest of its units); a redrive (-> QUEUED) deletes the
 * finished entry and puts UNFINISHED again. Other transitions leave the index alone.
 */
export function indexWcuByPhase(transitions: CostSummary['transitions']): Record<string, number> {
  const phases: Record<string, number> = {};
  const add = (phase: string, units: number) => {
    if (units > 0) phases[phase] = (phases[phase] ?? 0) + units;
  };
  for (const t of transitions) {
    const to = /-> (\w+)$/.exec(t.detail)?.[1];
    if (t.detail === 'PutItem STATE') add('UNFINISHED', t.gsiWcuPerTask);
    else if (to && FINISHED_PHASES.includes(to)) {
      add('UNFINISHED', Math.min(t.writesPerTask, t.gsiWcuPerTask));
      add(to, t.gsiWcuPerTask - Math.min(t.writesPerTask, t.gsiWcuPerTask));
    } else if (to === 'QUEUED') {
      add('UNFINISHED', Math.min(t.writesPerTask, t.gsiWcuPerTask));
      add('FAILED', t.gsiWcuPerTask - Math.min(t.writesPerTask, t.gsiWcuPerTask));
    }
  }
  return phases;
}

/** The measured hot-shard trace of a run (bench/indexTrace.ts, when the bench has it). */
export interface MeasuredHotKey {
  /** The hottest key's share of its phase's index writes. */
  shareOfPhase: number;
  /** Shards of that phase the trace saw. */
  shardsSeen: number;
}

/** The task mix of a measured cost run (bench/cost.ts's summary of a ~1 KB run), named `label`. */
export function mixFromCost(summary: CostSummary, hot?: MeasuredHotKey, label = 'POST /tasks, one task a request (measured)'): TaskMix {
  const n = summary.tasks;
  const functions: Record<string, FunctionLoad> = {};
  for (const l of summary.lambda) functions[l.functionKey] = { invocationsPerTask: l.invocations / n, meanDurationMs: l.meanDurationMs };
  const consumer = summary.lambda.find((l) => l.functionKey === 'processTask');
  const measured = hot && hot.shardsSeen > 1 && hot.shareOfPhase > 0;
  return {
    label,
    apiRequestsPerTask: summary.perTask.apiRequests,
    functions,
    consumer: 'processTask',
    deliveriesPerTask: (consumer?.records ?? 0) / n,
    tableWcuPerTask: summary.perTask.tableWcu + summary.perTask.estimatedWcu,
    indexWcuPerTask: summary.perTask.gsiWcuTotal,
    indexWcuByPhase: indexWcuByPhase(summary.transitions),
    shardSkew: measured ? hot.shareOfPhase * hot.shardsSeen : 1,
    shardSkewSource: measured
      ? `measured: the hottest shard took ${fixed(hot.shareOfPhase * 100, 1)}% of its phase over ${hot.shardsSeen} shards`
      : 'model: 1/N of a phase per shard (no measured shard trace in the figures)',
  };
}

/**
 * The task mix of a measured bulk run (tasks submitted through POST /tasks/batch): as
 * mixFromCost, labelled with the run's mean tasks a request; an error if the run has no
 * submitTasks invocation (figures of a run from before the bench measured the bulk path).
 */
export function bulkMixFromCost(summary: CostSummary, hot?: MeasuredHotKey): TaskMix {
  const submits = summary.lambda.find((l) => l.functionKey === 'submitTasks');
  if (!submits?.invocations)
    throw new Error(`${summary.label}: no submitTasks invocations; the bulk mix needs a run submitted through POST /tasks/batch`);
  return mixFromCost(summary, hot, `POST /tasks/batch of ${fixed(submits.meanBatch, 0)} (measured)`);
}

/** `params.default` of serverless.yml's text: the `key: value` lines under `params:` / `default:`. */
export function defaultParams(yml: string): Record<string, string> {
  const params: Record<string, string> = {};
  const lines = yml.split('\n');
  const start = lines.indexOf('params:');
  if (start < 0) return params;
  let inDefault = false;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const stage = /^ {2}(\w[\w-]*):\s*$/.exec(line);
    if (stage) inDefault = stage[1] === 'default';
    const param = /^ {4}(\w+):\s*("[^"]*"|[^#\s][^#]*?)\s*(#.*)?$/.exec(line);
    if (inDefault && param) params[param[1]] = param[2].replace(/^"(.*)"$/, '$1');
  }
  return params;
}

/** The AWS account defaults of the limits table, before any Service Quotas request. */
export const ACCOUNT_DEFAULTS = {
  apiAccountRps: AWS_LIMITS.apiAccountRps.value,
  lambdaConcurrency: AWS_LIMITS.lambdaConcurrency.value,
  tableWriteUnits: AWS_LIMITS.dynamoTableWrites.value,
};

/** The deployed defaults: serverless.yml's params.default and the account's default quotas. */
export function deployedSettings(yml: string): Settings {
  const params = defaultParams(yml);
  const notes: string[] = [];
  const numeric = (name: string, fallback?: { value: number; why: string }): number => {
    const value = Number(params[name]);
    if (params[name] !== undefined && Number.isFinite(value)) return value;
    if (!fallback) throw new Error(`serverless.yml has no numeric params.default.${name}`);
    notes.push(`${name}: ${fallback.value} (${fallback.why})`);
    return fallback.value;
  };
  return {
    label: 'deployed defaults',
    ...ACCOUNT_DEFAULTS,
    apiRateLimit: numeric('apiRateLimit'),
    apiBurstLimit: numeric('apiBurstLimit'),
    apiQuotaPerDay: numeric('apiQuotaPerDay'),
    processorMaxConcurrency: numeric('processorMaxConcurrency'),
    indexShards: numeric('indexShards', { value: 1, why: 'serverless.yml has no indexShards param: the byPhase index is not sharded' }),
    notes,
  };
}

/**
 * The documented knobs raised for 10,000 tasks/s through `POST /tasks/batch`, each with
 * headroom: the usage plan at 2x the 100 requests/s it takes, its daily quota above the 8.64
 * million requests a day, the event source at about 4x the concurrency it takes with the
 * measured durations (AWS's are longer than in-process ones), 64 index shards (the hottest
 * under a third of a partition), and a Service Quotas request for 100,000 table-level write
 * units. Lambda's and API Gateway's account quotas stay at their defaults.
 */
export const RAISED: Omit<Settings, 'notes' | 'label'> = {
  ...ACCOUNT_DEFAULTS,
  apiRateLimit: 200,
  apiBurstLimit: 400,
  apiQuotaPerDay: 20_000_000,
  processorMaxConcurrency: 200,
  tableWriteUnits: 100_000,
  indexShards: 64,
};

export function raisedSettings(): Settings {
  return { label: 'knobs raised', ...RAISED, notes: [] };
}

const SECONDS_PER_DAY = 86_400;
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const concurrencyPerTask = (load: FunctionLoad) => load.invocationsPerTask * (load.meanDurationMs / 1000);

/** Checks the settings against the limits' own ranges (maximumConcurrency 2-1,000, shards >= 1). */
function checkSettings(s: Settings): void {
  const max = AWS_LIMITS.esmMaximumConcurrency.value;
  if (!(s.processorMaxConcurrency >= 2 && s.processorMaxConcurrency <= max))
    throw new Error(`processorMaxConcurrency must be 2-${max} (the event source's maximumConcurrency); got ${s.processorMaxConcurrency}`);
  if (!(Number.isInteger(s.indexShards) && s.indexShards >= 1))
    throw new Error(`indexShards must be a positive integer; got ${s.indexShards}`);
  for (const key of ['apiAccountRps', 'apiRateLimit', 'apiQuotaPerDay', 'lambdaConcurrency', 'tableWriteUnits'] as const)
    if (!(s[key] > 0)) throw new Error(`${key} must be positive; got ${s[key]}`);
}

/**
 * The capacity of `mix` under `settings`: one row per limit, the binding one (the least
 * tasks/s), and whether `target` tasks/s is sustained with the hottest index key under
 * `hotKeyCeiling` of a partition's write limit.
 */
export function capacity(mix: TaskMix, settings: Settings, target = 10_000, hotKeyCeiling = 0.5): CapacityResult {
  checkSettings(settings);
  const L = AWS_LIMITS;
  const rows: CapacityRow[] = [];
  const sustained = (row: Omit<CapacityRow, 'useAtTarget' | 'binding'>) =>
    rows.push({ ...row, useAtTarget: target / row.tasksPerSecond, binding: false });
  const ramp = (row: Omit<CapacityRow, 'useAtTarget' | 'binding' | 'tasksPerSecond'>) =>
    rows.push({ ...row, tasksPerSecond: Number.NaN, useAtTarget: Number.NaN, binding: false });

  const api = mix.apiRequestsPerTask;
  sustained({
    limit: L.apiAccountRps.name,
    value: `${int(settings.apiAccountRps)} req/s`,
    tasksPerSecond: settings.apiAccountRps / api,
    raise: L.apiAccountRps.knob,
    source: L.apiAccountRps.source,
  });
  sustained({
    limit: 'API Gateway usage plan rate (per key)',
    value: `${int(settings.apiRateLimit)} req/s, burst ${int(settings.apiBurstLimit)}`,
    tasksPerSecond: settings.apiRateLimit / api,
    raise: 'apiRateLimit, apiBurstLimit',
    source: USAGE_PLAN_SOURCE,
  });
  sustained({
    limit: 'API Gateway usage plan quota (per key, a day)',
    value: `${int(settings.apiQuotaPerDay)} req/day`,
    tasksPerSecond: settings.apiQuotaPerDay / SECONDS_PER_DAY / api,
    raise: 'apiQuotaPerDay',
    source: USAGE_PLAN_SOURCE,
  });

  const loads = Object.entries(mix.functions);
  const lambdaPerTask = loads.reduce((n, [, load]) => n + concurrencyPerTask(load), 0);
  sustained({
    limit: L.lambdaConcurrency.name,
    value: `${int(settings.lambdaConcurrency)} concurrent`,
    tasksPerSecond: settings.lambdaConcurrency / lambdaPerTask,
    raise: L.lambdaConcurrency.knob,
    source: L.lambdaConcurrency.source,
  });
  const [widest, widestPerTask] = loads
    .map(([key, load]) => [key, concurrencyPerTask(load)] as const)
    .reduce((a, b) => (b[1] > a[1] ? b : a));
  const perEnvironments = L.lambdaScalingRate.value;
  ramp({
    limit: L.lambdaScalingRate.name,
    value: `+${int(perEnvironments)} per function / 10 s`,
    raise: L.lambdaScalingRate.knob,
    source: L.lambdaScalingRate.source,
    note: `${widest} needs ${int(target * widestPerTask)} at the target: ${fixed(Math.ceil((target * widestPerTask) / perEnvironments) * 10, 0)} s at most`,
  });

  const consumer = mix.functions[mix.consumer];
  if (!consumer) throw new Error(`${mix.label}: no load for the consumer ${mix.consumer}`);
  const consumerPerTask = concurrencyPerTask(consumer);
  sustained({
    limit: `${L.esmMaximumConcurrency.name} (${mix.consumer})`,
    value: `${int(settings.processorMaxConcurrency)} batches`,
    tasksPerSecond: settings.processorMaxConcurrency / consumerPerTask,
    raise: L.esmMaximumConcurrency.knob,
    source: L.esmMaximumConcurrency.source,
  });
  const needed = Math.min(settings.processorMaxConcurrency, target * consumerPerTask);
  ramp({
    limit: L.esmScaleUp.name,
    value: `+${L.esmScaleUp.value} batches/min from 5`,
    raise: L.esmScaleUp.knob,
    source: L.esmScaleUp.source,
    note: `${int(needed)} concurrent batches at the target (capped by maximumConcurrency): ${fixed((Math.max(0, needed - 5) / L.esmScaleUp.value) * 60, 0)} s`,
  });

  sustained({
    limit: `${L.dynamoTableWrites.name}: table`,
    value: `${int(settings.tableWriteUnits)} WRU/s`,
    tasksPerSecond: settings.tableWriteUnits / mix.tableWcuPerTask,
    raise: L.dynamoTableWrites.knob,
    source: L.dynamoTableWrites.source,
  });
  sustained({
    limit: `${L.dynamoTableWrites.name}: byPhase index`,
    value: `${int(settings.tableWriteUnits)} WRU/s`,
    tasksPerSecond: settings.tableWriteUnits / mix.indexWcuPerTask,
    raise: L.dynamoTableWrites.knob,
    source: L.dynamoTableWrites.source,
  });
  const [phase, phaseUnits] = Object.entries(mix.indexWcuByPhase).reduce((a, b) => (b[1] > a[1] ? b : a), ['none', 0]);
  const hotPerTask = (phaseUnits * mix.shardSkew) / settings.indexShards;
  const partition = L.dynamoPartitionWrites.value;
  sustained({
    limit: `DynamoDB partition: hottest index key (${phase}#<shard>, ${settings.indexShards} shard${settings.indexShards === 1 ? '' : 's'})`,
    value: `${int(partition)} WCU/s a key`,
    tasksPerSecond: partition / hotPerTask,
    raise: 'indexShards',
    source: L.dynamoPartitionWrites.source,
  });
  sustained({
    limit: 'DynamoDB partition: table key (TASK#<taskId>, one task)',
    value: `${int(partition)} WCU/s a key`,
    tasksPerSecond: Number.POSITIVE_INFINITY,
    raise: 'none needed',
    source: L.dynamoPartitionWrites.source,
    note: `a task writes ${fixed(mix.tableWcuPerTask)} units in all to its key`,
  });
  const peakUnits = target * Math.max(mix.tableWcuPerTask, mix.indexWcuPerTask);
  const doublings = Math.max(0, Math.ceil(Math.log2(peakUnits / L.dynamoOnDemandWarmUp.value)));
  ramp({
    limit: L.dynamoOnDemandWarmUp.name,
    value: `${int(L.dynamoOnDemandWarmUp.value)} WRU/s, x2 per 30 min`,
    raise: L.dynamoOnDemandWarmUp.knob,
    source: L.dynamoOnDemandWarmUp.source,
    note: `${int(peakUnits)} WRU/s at the target: ${doublings} doubling${doublings === 1 ? '' : 's'} (~${doublings * 30} min) unless pre-warmed`,
  });

  sustained({
    limit: L.sqsStandardThroughput.name,
    value: 'nearly unlimited',
    tasksPerSecond: Number.POSITIVE_INFINITY,
    raise: L.sqsStandardThroughput.knob,
    source: L.sqsStandardThroughput.source,
  });
  sustained({
    limit: L.sqsInFlight.name,
    value: `${int(L.sqsInFlight.value)} messages`,
    tasksPerSecond: L.sqsInFlight.value / (mix.deliveriesPerTask * (consumer.meanDurationMs / 1000)),
    raise: L.sqsInFlight.knob,
    source: L.sqsInFlight.source,
  });

  const binding = rows.filter((r) => !Number.isNaN(r.tasksPerSecond)).reduce((a, b) => (b.tasksPerSecond < a.tasksPerSecond ? b : a));
  binding.binding = true;
  const hotAtTarget = target * hotPerTask;
  return {
    mix: mix.label,
    settings: settings.label,
    target,
    rows,
    binding,
    tasksPerSecond: binding.tasksPerSecond,
    hottestIndexKey: { phase, writesPerTask: hotPerTask, writesPerSecondAtTarget: hotAtTarget, useAtTarget: hotAtTarget / partition },
    meetsTarget: binding.tasksPerSecond >= target && hotAtTarget / partition < hotKeyCeiling,
  };
}

const rate = (x: number) => (Number.isNaN(x) ? 'ramp' : Number.isFinite(x) ? int(x) : 'no limit');
const share = (x: number) => (Number.isNaN(x) ? '' : `${fixed(x * 100, x < 0.1 ? 1 : 0)}%`);

/** The printed capacity table of one result, its verdict and the ramps' notes. */
export function formatCapacity(result: CapacityResult, settings: Settings): string {
  const target = int(result.target);
  const lines = [`${result.mix}, ${result.settings}:`];
  lines.push(
    table(
      ['limit', 'value', 'tasks/s it allows', `use at ${target}/s`, 'binding', 'raised by (param or request)'],
      result.rows.map((r) => [
        r.limit,
        r.value,
        rate(r.tasksPerSecond),
        share(r.useAtTarget),
        r.binding ? 'BINDS' : r.tasksPerSecond < result.target ? 'below target' : '',
        r.raise,
      ]),
    ),
  );
  for (const r of result.rows.filter((row) => row.note)) lines.push(`  ${r.limit}: ${r.note}`);
  for (const note of settings.notes) lines.push(`  setting ${note}`);
  const hot = result.hottestIndexKey;
  lines.push(
    `  binds first: ${result.binding.limit} at ${int(result.tasksPerSecond)} tasks/s; hottest index key at ${target} tasks/s: ` +
      `${int(hot.writesPerSecondAtTarget)} WCU/s, ${share(hot.useAtTarget)} of a partition`,
  );
  return lines.join('\n');
}

/** The limits table's sources, one line each, for the printout. */
export function formatLimitSources(): string {
  const sources = new Map<string, string[]>();
  for (const limit of Object.values(AWS_LIMITS)) sources.set(limit.source, [...(sources.get(limit.source) ?? []), limit.name]);
  sources.set(USAGE_PLAN_SOURCE, [...(sources.get(USAGE_PLAN_SOURCE) ?? []), 'usage plan throttling']);
  return [...sources].map(([url, names]) => `  ${names.join('; ')}: ${url}`).join('\n');
}
