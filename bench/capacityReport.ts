/**
 * The capacity section of the bench: the model of bench/capacity.ts run on the measured ~1 KB
 * cost runs for three cases (single submits at the deployed defaults, bulk submits at the
 * defaults, bulk submits with the knobs raised), printed, with its verdict on the target.
 * `npm run bench -- --capacity` runs it alone from the latest bench/results.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AWS_LIMITS_DATE } from './awsLimits';
import {
  bulkMixFromCost,
  capacity,
  deployedSettings,
  formatCapacity,
  formatLimitSources,
  type MeasuredHotKey,
  mixFromCost,
  raisedSettings,
  type Settings,
} from './capacity';
import type { CostSummary } from './cost';
import { fixed } from './format';

export const SERVERLESS_YML = path.join(__dirname, '..', 'serverless.yml');
export const TARGET_TASKS_PER_SECOND = 10_000;

/** Settings a `--param name=value` may override (what-if on the deployed defaults). */
export const OVERRIDABLE = [
  'apiAccountRps',
  'apiRateLimit',
  'apiBurstLimit',
  'apiQuotaPerDay',
  'lambdaConcurrency',
  'processorMaxConcurrency',
  'tableWriteUnits',
  'indexShards',
] as const;
export type Overrides = Partial<Record<(typeof OVERRIDABLE)[number], number>>;

/** The two ~1 KB cost runs of the capacity model, single and bulk submits, each with its hot-shard trace. */
export interface CapacityFigures {
  single: CostSummary;
  bulk: CostSummary;
  hot: { single?: MeasuredHotKey; bulk?: MeasuredHotKey };
}

/** A hot-shard trace of results.json's cost.hottestIndexKey, if it has one. */
function hotKeyOf(trace: { shareOfPhase?: unknown; shardsSeen?: unknown } | undefined): MeasuredHotKey | undefined {
  return typeof trace?.shareOfPhase === 'number' ? { shareOfPhase: trace.shareOfPhase, shardsSeen: Number(trace.shardsSeen) } : undefined;
}

/** The ~1 KB cost runs (single and bulk) and their hot-shard traces, read from a bench/results.json. */
export function figuresFrom(file: string): CapacityFigures & { startedAt: string; quick: boolean } {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run npm run bench -- --only cost first, or pass --figures FILE`);
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  const isRun = (summary: CostSummary | undefined) =>
    Boolean(summary?.perTask) && Array.isArray(summary?.lambda) && Array.isArray(summary?.transitions);
  for (const name of ['small', 'bulk'] as const)
    if (!isRun(results?.cost?.[name]))
      throw new Error(`${file} has no measured cost.${name} figures: run npm run bench -- --only cost first`);
  return {
    single: results.cost.small,
    bulk: results.cost.bulk,
    hot: { single: hotKeyOf(results.cost.hottestIndexKey?.small), bulk: hotKeyOf(results.cost.hottestIndexKey?.bulk) },
    startedAt: String(results.startedAt ?? '?'),
    quick: Boolean(results.quick),
  };
}

/** Runs the model on the measured runs and prints it; returns what results.json keeps. */
export function capacitySection(figures: CapacityFigures, overrides: Overrides = {}, yml = SERVERLESS_YML) {
  const deployed: Settings = { ...deployedSettings(fs.readFileSync(yml, 'utf8')), ...overrides };
  if (Object.keys(overrides).length) {
    deployed.label = `deployed defaults with ${Object.entries(overrides)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`;
    deployed.notes = deployed.notes.filter((note) => !Object.keys(overrides).some((k) => note.startsWith(`${k}:`)));
  }
  const raised = raisedSettings();
  const single = mixFromCost(figures.single, figures.hot.single);
  const bulk = bulkMixFromCost(figures.bulk, figures.hot.bulk);
  const cases = [
    { mix: single, settings: deployed },
    { mix: bulk, settings: deployed },
    { mix: bulk, settings: raised },
  ].map(({ mix, settings }) => ({ settings, result: capacity(mix, settings, TARGET_TASKS_PER_SECOND) }));

  const run = (s: CostSummary) => `${s.tasks} tasks of ${s.label}, ${fixed(s.attemptsPerTask, 3)} attempts a task`;
  console.log(
    `limits: bench/awsLimits.ts dated ${AWS_LIMITS_DATE}; mixes (measured): ${run(figures.single)}; ${run(figures.bulk)}; ` +
      `hot shard: single ${single.shardSkewSource}; bulk ${bulk.shardSkewSource}`,
  );
  for (const { settings, result } of cases) console.log(`\n${formatCapacity(result, settings)}`);
  console.log(`\nSources (${AWS_LIMITS_DATE}):\n${formatLimitSources()}`);
  const last = cases[cases.length - 1].result;
  return {
    target: TARGET_TASKS_PER_SECOND,
    cases: cases.map(({ settings, result }) => ({ ...result, knobs: settings })),
    verdict: {
      target: `>= ${TARGET_TASKS_PER_SECOND.toLocaleString('en-US')} tasks/s with documented knobs, hottest partition key < 50% of its limit`,
      pass: last.meetsTarget,
      detail: `${last.mix}, ${last.settings}: ${Math.round(last.tasksPerSecond).toLocaleString('en-US')} tasks/s (${last.binding.limit} binds); hottest index key ${fixed(last.hottestIndexKey.useAtTarget * 100, 0)}% of a partition at ${TARGET_TASKS_PER_SECOND.toLocaleString('en-US')}/s`,
    },
  };
}
