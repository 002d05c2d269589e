/**
 * The capacity section of the bench: the model of bench/capacity.ts run on a cost run's
 * figures for three cases (single submits at the deployed defaults, bulk submits at the
 * defaults, bulk submits with the knobs raised), printed, with its verdict on the target.
 * `npm run bench -- --capacity` runs it alone from the latest bench/results.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AWS_LIMITS_DATE } from './awsLimits';
import { BULK, bulkMix } from './bulk';
import {
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

/** The ~1 KB cost run and its hot-shard trace, read from a bench/results.json. */
export function figuresFrom(file: string): { summary: CostSummary; hot?: MeasuredHotKey; startedAt: string; quick: boolean } {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run npm run bench -- --only cost first, or pass --figures FILE`);
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  const summary = results?.cost?.small as CostSummary | undefined;
  if (!summary?.perTask || !Array.isArray(summary.lambda) || !Array.isArray(summary.transitions))
    throw new Error(`${file} has no cost.small figures: run npm run bench -- --only cost first`);
  const trace = results.cost.hottestIndexKey?.small;
  const hot =
    typeof trace?.shareOfPhase === 'number' ? { shareOfPhase: trace.shareOfPhase, shardsSeen: Number(trace.shardsSeen) } : undefined;
  return { summary, hot, startedAt: String(results.startedAt ?? '?'), quick: Boolean(results.quick) };
}

/** Runs the model on one cost run and prints it; returns what results.json keeps. */
export function capacitySection(summary: CostSummary, hot: MeasuredHotKey | undefined, overrides: Overrides = {}, yml = SERVERLESS_YML) {
  const deployed: Settings = { ...deployedSettings(fs.readFileSync(yml, 'utf8')), ...overrides };
  if (Object.keys(overrides).length) {
    deployed.label = `deployed defaults with ${Object.entries(overrides)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`;
    deployed.notes = deployed.notes.filter((note) => !Object.keys(overrides).some((k) => note.startsWith(`${k}:`)));
  }
  const raised = raisedSettings();
  const single = mixFromCost(summary, hot);
  const bulk = bulkMix(single, BULK);
  const cases = [
    { mix: single, settings: deployed },
    { mix: bulk, settings: deployed },
    { mix: bulk, settings: raised },
  ].map(({ mix, settings }) => ({ settings, result: capacity(mix, settings, TARGET_TASKS_PER_SECOND) }));

  console.log(
    `limits: bench/awsLimits.ts dated ${AWS_LIMITS_DATE}; mix: ${summary.tasks} tasks of ${summary.label}, ${fixed(summary.attemptsPerTask, 3)} attempts a task; ` +
      `bulk: ${BULK.tasksPerRequest} tasks a request, submitBatch ${BULK.durationFactor} x ${BULK.tasksPerRequest} x submitTask's mean ms (modelled); ` +
      `hot shard: ${single.shardSkewSource}`,
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
