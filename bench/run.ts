/**
 * npm run bench [-- --quick] [--only cost,throughput,latency,coldstart] [--seed N] [--pollers N] [--index-succeeded false]
 * npm run bench -- --capacity [--figures FILE] [--param name=value ...]
 *
 * 1. Cost per task (1 KB and 64 KB payloads, FAILURE_RATE 0.3, seeded) from counted AWS requests,
 *    and the same for 1 KB tasks submitted through POST /tasks/batch, 100 a request.
 * 2. Submit latency p50/p95/p99 at concurrency 1 and 16 against `npm start`'s HTTP API.
 * 3. End-to-end throughput (backoff base 0) and the ceiling of the bare requests, with their ratio.
 * 4. Cold start: zip size and handler import time of each function.
 * 5. Capacity: the tasks/s each AWS limit allows with the measured mix (bench/capacity.ts), after
 *    the cost section or alone with --capacity from the latest bench/results.json.
 * 6. Targets, PASS/MISS. Writes bench/results.json (git-ignored).
 *
 * The root tsconfig includes bench/, so `npm run typecheck` (and npm test) checks it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { startLocalServers, type LocalServers } from '../devstack';
import { UsageError, intOption, parseCommandLine } from '../tools/args';
import { MAX_BATCH_TASKS } from '../lib/lambda/schemas';
import { capacitySection, figuresFrom, OVERRIDABLE, type Overrides } from './capacityReport';
import { measureColdStart, type ColdStartResult } from './coldStart';
import { formatCost, summarizeRun, type CostSummary } from './cost';
import { probeTransactionDoubling, UsageCounter } from './counters';
import { fixed, heading, kb, ms, table, usd, verdict } from './format';
import { measureLatency, type LatencyResult } from './latency';
import { isolatedQueues, memorySizes, startPipeline, tasksOf, type RunResult } from './pipeline';
import { formatHottestKey, hottestKey, type HottestKey } from './indexTrace';
import { loadPrices, PRICES_FILE } from './priceTable';
import { formatThroughput, measureThroughput, type ThroughputResult } from './throughput';

const SECTIONS = ['cost', 'throughput', 'latency', 'coldstart'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--seed N] [--pollers N] [--window S]
  --quick    a tiny run (tens of tasks and requests) to iterate on the bench itself
  --only     run only these sections
  --seed     seed of the simulated failures and payload bytes (default 7)
  --pollers  batches in flight per queue, for the pipeline and its ceiling (default 5, Lambda's initial pollers)
  --window   what-if: the throughput pipeline's maximumBatchingWindow in seconds instead of serverless.yml's
  --index-succeeded false   run the cost section with INDEX_SUCCEEDED=false (SUCCEEDED left out of the index)
  --capacity only the capacity model, from the figures of the latest run (bench/results.json)
  --figures  the results.json --capacity reads (default bench/results.json)
  --param    what-if for --capacity: name=value over the deployed defaults (${OVERRIDABLE.join(', ')})`;

interface Options {
  quick: boolean;
  sections: Set<Section>;
  seed: number;
  pollers: number;
  window?: number;
  indexSucceeded: boolean;
  capacity: boolean;
  figures: string;
  params: Overrides;
}

/** --param name=value for --capacity: a what-if over the deployed defaults. */
function capacityParams(raw: string[] | undefined): Overrides {
  const params: Overrides = {};
  for (const entry of raw ?? []) {
    const [name, value] = entry.split('=', 2);
    const n = Number(value);
    if (!(OVERRIDABLE as readonly string[]).includes(name) || value === undefined || !Number.isFinite(n))
      throw new UsageError(`--param takes name=number with a name of ${OVERRIDABLE.join(', ')}; got '${entry}'`);
    params[name as (typeof OVERRIDABLE)[number]] = n;
  }
  return params;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      seed: { type: 'string' },
      pollers: { type: 'string' },
      window: { type: 'string' },
      'index-succeeded': { type: 'string' },
      capacity: { type: 'boolean' },
      figures: { type: 'string' },
      param: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let sections = new Set<Section>(SECTIONS);
  if (values.only !== undefined) {
    const wanted = values.only.split(',').filter(Boolean);
    const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (unknown.length || wanted.length === 0) throw new UsageError(`--only takes ${SECTIONS.join(',')}; got '${wanted.join(',')}'`);
    sections = new Set(wanted as Section[]);
  }
  return {
    quick: Boolean(values.quick),
    sections,
    seed: intOption('seed', values.seed, 7, 1),
    pollers: intOption('pollers', values.pollers, 5, 1),
    ...(values.window !== undefined ? { window: intOption('window', values.window, 0, 0, 300) } : {}),
    indexSucceeded: indexSucceededOption(values['index-succeeded']),
    capacity: Boolean(values.capacity),
    figures: values.figures ?? path.join(__dirname, 'results.json'),
    params: capacityParams(values.param),
  };
}

/** --index-succeeded true|false: the indexSucceeded param of the cost runs (default true). */
function indexSucceededOption(raw: string | undefined): boolean {
  if (raw === undefined) return true;
  if (raw !== 'true' && raw !== 'false') throw new UsageError('--index-succeeded takes true or false');
  return raw === 'true';
}

const FAILURE_RATE = 0.3;
/** Submitters of the throughput runs (and of the warm-up). */
const SUBMIT_CONCURRENCY = 16;
/**
 * The cost runs submit one task at a time with one poller per queue: the requests counted are
 * the same at any concurrency, but handler durations (GB-seconds) measured while 20 invocations
 * share one Node event loop would be mostly queueing; on Lambda each sandbox runs one at a time.
 */
const COST = { submitConcurrency: 1, pollers: 1 };
/** Tasks a POST /tasks/batch request of the bulk cost run: the API's maximum. */
const BULK_TASKS_PER_REQUEST = MAX_BATCH_TASKS;
/** Targets of issue 6, and issue 12's bulk cost (US$ per million ~1 KB tasks). */
const TARGET = { wcuPerTask: 6, throughputRatio: 0.5, zipBytes: 1_000_000, importMs: 150, bulkUsdPerMillion: 5.5 };

function log(line: string): void {
  console.log(`  . ${line}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.capacity) {
    const figures = figuresFrom(options.figures);
    console.log(
      `capacity model from ${path.relative(process.cwd(), options.figures)} (run of ${figures.startedAt}${figures.quick ? ', quick' : ''})`,
    );
    const { verdict: v } = capacitySection(figures, options.params);
    console.log(`\n  ${verdict(v.pass, v.target, v.detail)}`);
    return;
  }
  const prices = loadPrices();
  const size = options.quick
    ? { small: 50, large: 10, bulk: 200, warmup: 20, throughput: 100, rounds: 1, latency: [30, 48], latencyWarmup: 3, importRuns: 3 }
    : {
        small: 1000,
        large: 200,
        bulk: 1000,
        warmup: 100,
        throughput: 1000,
        rounds: 3,
        latency: [300, 400],
        latencyWarmup: 10,
        importRuns: 9,
      };
  const runId = crypto.randomBytes(4).toString('hex');
  const timings: Record<string, number> = {};
  const benchStart = Date.now();
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = (Date.now() - start) / 1000;
    }
  };
  const want = (section: Section) => options.sections.has(section);
  console.log(
    `bench ${options.quick ? '(quick) ' : ''}run ${runId}: seed ${options.seed}, FAILURE_RATE ${FAILURE_RATE}, ${os.cpus().length} CPUs, node ${process.version}; ` +
      `prices ${path.relative(process.cwd(), PRICES_FILE)} dated ${prices.date} (${prices.region}, on-demand)`,
  );

  const results: Record<string, unknown> = {
    runId,
    startedAt: new Date(benchStart).toISOString(),
    quick: options.quick,
    seed: options.seed,
    failureRate: FAILURE_RATE,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.arch()}` },
    prices,
  };
  let cost: { small: CostSummary; large: CostSummary; bulk: CostSummary } | undefined;
  let hot: Record<'small' | 'large' | 'bulk', HottestKey | undefined> | undefined;
  let throughput: ThroughputResult | undefined;
  let latency: LatencyResult | undefined;
  let coldStart: ColdStartResult | undefined;

  // ------------------------------------------------------------ 1 + 3: in-process pipeline
  if (want('cost') || want('throughput')) {
    const servers: LocalServers = await timed('boot local servers', () => startLocalServers({ stage: 'bench' }));
    try {
      const counter = new UsageCounter();
      counter.sqsChunkBytes = prices.sqs.chunkBytes;
      counter.backendDoublesTransactions = await probeTransactionDoubling(servers.clients.dynamoDb, servers.env.TASKS_TABLE);
      results.transactionUnits = counter.backendDoublesTransactions
        ? 'reported doubled by DynamoDB Local; counted as reported'
        : 'reported undoubled by DynamoDB Local; doubled by the bench';
      log(`transactional units: ${results.transactionUnits}`);
      const memory = memorySizes(servers);
      const base = { seed: options.seed, failureRate: FAILURE_RATE, backoffBaseSeconds: 0 };
      log(
        `local servers up (stage bench); functions' memory: ${Object.entries(memory)
          .map(([k, v]) => `${k} ${v} MB`)
          .join(', ')}`,
      );
      // Warms the JVM and the code paths so that every measured run starts equal.
      const warm = startPipeline(
        servers,
        counter,
        { ...base, pollerConcurrency: options.pollers },
        await isolatedQueues(servers, `warm${runId}`),
      );
      try {
        await timed('warm-up run', () =>
          warm.run(tasksOf(`warm-${runId}`, size.warmup, 1024, options.seed + 1), {
            submitConcurrency: SUBMIT_CONCURRENCY,
            timeoutMs: 120_000,
          }),
        );
      } finally {
        await warm.stop();
      }

      if (want('cost')) {
        console.log(heading('1. Cost per task (in-process pipeline on DynamoDB Local + fauxqs, counted requests)'));
        log(
          `${COST.submitConcurrency} submit at a time, ${COST.pollers} poller per queue: handler durations close to one invocation per sandbox`,
        );
        const pipeline = startPipeline(
          servers,
          counter,
          { ...base, pollerConcurrency: COST.pollers, indexSucceeded: options.indexSucceeded },
          await isolatedQueues(servers, `cost${runId}`),
        );
        let small: RunResult;
        let large: RunResult;
        let bulk: RunResult;
        const runOptions = { submitConcurrency: COST.submitConcurrency, timeoutMs: 300_000, seed: options.seed };
        try {
          large = await timed('cost run 64 KB', () =>
            pipeline.run(tasksOf(`b64k-${runId}`, size.large, 64 * 1024, options.seed), runOptions),
          );
          log(`64 KB run: ${large.tasks} tasks in ${(large.elapsedMs / 1000).toFixed(1)} s`);
          small = await timed('cost run 1 KB', () => pipeline.run(tasksOf(`b01k-${runId}`, size.small, 1024, options.seed), runOptions));
          log(`1 KB run: ${small.tasks} tasks in ${(small.elapsedMs / 1000).toFixed(1)} s`);
          bulk = await timed('cost run 1 KB bulk', () =>
            pipeline.run(tasksOf(`bulk-${runId}`, size.bulk, 1024, options.seed), {
              ...runOptions,
              tasksPerRequest: BULK_TASKS_PER_REQUEST,
            }),
          );
          log(`1 KB bulk run: ${bulk.tasks} tasks, ${BULK_TASKS_PER_REQUEST} a request, in ${(bulk.elapsedMs / 1000).toFixed(1)} s`);
        } finally {
          await pipeline.stop();
        }
        for (const note of [...large.pollerNotes, ...small.pollerNotes, ...bulk.pollerNotes]) log(`poller: ${note}`);
        cost = {
          small: summarizeRun('~1 KB payloads', 1024, small, prices, memory),
          large: summarizeRun('~64 KB payloads', 64 * 1024, large, prices, memory),
          bulk: summarizeRun(`~1 KB payloads, POST /tasks/batch of ${BULK_TASKS_PER_REQUEST}`, 1024, bulk, prices, memory),
        };
        console.log(`\n${[cost.small, cost.large, cost.bulk].map((c) => formatCost(c, prices)).join('\n\n')}`);
        hot = {
          small: hottestKey(small.usage.indexWrites, small.tasks),
          large: hottestKey(large.usage.indexWrites, large.tasks),
          bulk: hottestKey(bulk.usage.indexWrites, bulk.tasks),
        };
        for (const [name, h] of [
          ['~1 KB', hot.small],
          ['~64 KB', hot.large],
          ['~1 KB bulk', hot.bulk],
        ] as const)
          if (h) log(formatHottestKey(name, h));
        results.cost = {
          submitConcurrency: COST.submitConcurrency,
          pollerConcurrency: COST.pollers,
          indexSucceeded: options.indexSucceeded,
          ...cost,
          hottestIndexKey: hot,
        };
      }

      if (want('throughput')) {
        console.log(heading('3. End-to-end throughput and its ceiling (in-process, backoff base 0)'));
        throughput = await timed('throughput (pipeline + ceiling)', () =>
          measureThroughput(servers, counter, {
            runId,
            tasks: size.throughput,
            rounds: size.rounds,
            seed: options.seed,
            failureRate: FAILURE_RATE,
            submitConcurrency: SUBMIT_CONCURRENCY,
            pollerConcurrency: options.pollers,
            batchingWindowSeconds: options.window,
            log,
          }),
        );
        console.log(formatThroughput(throughput));
        results.throughput = throughput;
      }
    } finally {
      await servers.stop();
    }
  }

  // ------------------------------------------------------------ 2: submit latency
  if (want('latency')) {
    console.log(heading('Submit latency (npm start: serverless-offline HTTP API with API key)'));
    latency = await timed('latency (npm start boot + requests)', () =>
      measureLatency({
        runId,
        seed: options.seed,
        payloadBytes: 1024,
        warmup: size.latencyWarmup,
        plan: [
          { concurrency: 1, requests: size.latency[0] },
          { concurrency: 16, requests: size.latency[1] },
        ],
        log,
      }),
    );
    results.latency = latency;
  }

  // ------------------------------------------------------------ 4: cold start
  if (want('coldstart')) {
    console.log(heading('Cold start (serverless package --stage bench; import of the unzipped handler)'));
    coldStart = await timed('cold start (package + imports)', () => measureColdStart({ runId, runs: size.importRuns, log }));
    results.coldStart = coldStart;
  }

  // ------------------------------------------------------------ summary
  console.log(heading('Summary'));
  const targets: { target: string; pass: boolean; detail: string }[] = [];
  if (cost) {
    const s = cost.small;
    const l = cost.large;
    const b = cost.bulk;
    const rows = (pick: (c: CostSummary) => number) => [usd(pick(s)), usd(pick(b)), usd(pick(l))];
    console.log(`US$ per million tasks (${prices.region} on-demand prices of ${prices.date}; FAILURE_RATE ${FAILURE_RATE}):`);
    console.log(
      table(
        ['component', '~1 KB', `~1 KB bulk (${BULK_TASKS_PER_REQUEST}/request)`, '~64 KB'],
        [
          ['API Gateway requests', ...rows((c) => c.usdPerMillion.apiGateway)],
          ['Lambda requests', ...rows((c) => c.usdPerMillion.lambdaRequests)],
          ['Lambda duration (arm64)', ...rows((c) => c.usdPerMillion.lambdaDuration)],
          ['SQS requests', ...rows((c) => c.usdPerMillion.sqs)],
          ['DynamoDB writes', ...rows((c) => c.usdPerMillion.dynamoDbWrites)],
          ['DynamoDB reads', ...rows((c) => c.usdPerMillion.dynamoDbReads)],
          ['TOTAL (pollers excluded)', ...rows((c) => c.usdPerMillion.total)],
          ['+ ESM poller SQS requests', ...rows((c) => c.pollers.usdPerMillionIfBilled)],
          ['TOTAL incl. poller requests', ...rows((c) => c.usdPerMillion.total + c.pollers.usdPerMillionIfBilled)],
          ['(info) CloudWatch Logs ingestion', ...rows((c) => c.logsUsdPerMillion)],
        ],
      ),
    );
    console.log(
      [
        'Rules: API Gateway 1 request per submit request; Lambda 1 request per submit request and per batch handed to',
        '  processTask/monitorDlq, each duration rounded up to 1 ms at its memorySize; SQS 1 request per started 64 KB chunk of',
        '  the payload a call sends (SendMessage, SendMessageBatch: the whole call) or returns (ReceiveMessage), else 1;',
        '  DynamoDB on-demand units as reported by ReturnConsumedCapacity=INDEXES (transactions at 2x; failed conditional',
        '  writes estimated from the old item). TOTAL leaves out the Lambda event source',
        "  pollers' ReceiveMessage/DeleteMessageBatch, as briefed; AWS's knowledge-center article on high SQS charges says the",
        "  long polls Lambda makes on a queue that triggers it are charged as SQS requests, so the next line adds the pollers'",
        '  message-bearing receives and deletes (their empty receives depend on idle time, not on tasks: see results.json).',
        `  Bulk: measured as the others, the same kind of tasks through submitTasks, ${BULK_TASKS_PER_REQUEST} a POST /tasks/batch.`,
      ].join('\n'),
    );
    console.log(
      `write units per task (INDEX_SUCCEEDED ${options.indexSucceeded}): ~1 KB table ${fixed(s.perTask.tableWcu)} + GSI byPhase ${fixed(s.perTask.gsiWcuTotal)} = ${fixed(s.perTask.wcu)}; ` +
        `~64 KB table ${fixed(l.perTask.tableWcu)} + GSI ${fixed(l.perTask.gsiWcuTotal)} = ${fixed(l.perTask.wcu)}`,
    );
    targets.push({
      target: `DynamoDB write units per task at ~1 KB <= ${TARGET.wcuPerTask}`,
      pass: s.perTask.wcu <= TARGET.wcuPerTask,
      detail: `${fixed(s.perTask.wcu)} (table ${fixed(s.perTask.tableWcu)} + GSI byPhase ${fixed(s.perTask.gsiWcuTotal)}${s.perTask.estimatedWcu ? ` + failed conditions ${fixed(s.perTask.estimatedWcu)}` : ''})`,
    });
    // Per kind of state write, so that a different mix of outcomes between the runs does not count.
    const payloadWrites = (c: CostSummary) => c.transitions.find((t) => t.detail === 'PutItem PAYLOAD')?.writesPerTask ?? 0;
    const stateWrites = (c: CostSummary) =>
      new Map(c.transitions.filter((t) => t.detail !== 'PutItem PAYLOAD').map((t) => [t.detail, t.tableWcuPerWrite]));
    const oneKb = stateWrites(s);
    const diffs = [...stateWrites(l)]
      .filter(([kind]) => oneKb.has(kind))
      .map(([kind, units]) => ({ kind, diff: units - oneKb.get(kind)! }));
    const worst = diffs.reduce((a, b) => (Math.abs(b.diff) > Math.abs(a.diff) ? b : a), diffs[0] ?? { kind: 'none', diff: 0 });
    targets.push({
      target: 'a state transition costs the same at 64 KB as at 1 KB (payload written once)',
      pass: Math.abs(worst.diff) <= 0.05 && Math.abs(payloadWrites(l) - 1) < 1e-9 && Math.abs(payloadWrites(s) - 1) < 1e-9,
      detail:
        `table WCU per state write ${fixed(l.tableWcuPerStateWrite, 3)} (64 KB) vs ${fixed(s.tableWcuPerStateWrite, 3)} (1 KB); ` +
        `largest difference of one kind ${fixed(worst.diff, 3)} (${worst.kind}) over ${diffs.length} kinds; payload puts per task ${fixed(payloadWrites(l), 2)} / ${fixed(payloadWrites(s), 2)}`,
    });
    targets.push({
      target: `US$ per million ~1 KB tasks through POST /tasks/batch <= ${TARGET.bulkUsdPerMillion.toFixed(2)}`,
      pass: b.usdPerMillion.total <= TARGET.bulkUsdPerMillion,
      detail: `${usd(b.usdPerMillion.total)} measured (single submits ${usd(s.usdPerMillion.total)}); DynamoDB writes ${usd(b.usdPerMillion.dynamoDbWrites)} of it`,
    });
    console.log(heading('Capacity model (bench/capacity.ts) from the ~1 KB runs'));
    const section = capacitySection({ single: s, bulk: b, hot: { single: hot?.small, bulk: hot?.bulk } }, options.params);
    results.capacity = section;
    targets.push(section.verdict);
  }
  if (throughput) {
    console.log(
      `throughput (${throughput.tasks} tasks, ~1 KB, backoff base 0, ${throughput.submitConcurrency} submitters, ${throughput.pollerConcurrency} pollers per queue` +
        `${throughput.batchingWindowSeconds !== undefined ? `, WHAT-IF batching window ${throughput.batchingWindowSeconds} s` : ''}, median of ${throughput.rounds.length} rounds): ` +
        `pipeline ${fixed(throughput.pipelineTasksPerSecond, 1)} tasks/s, ceiling ${fixed(throughput.ceilingTasksPerSecond, 1)} tasks/s, ratio ${fixed(throughput.ratio * 100, 0)}%`,
    );
    targets.push({
      target: `pipeline throughput >= ${TARGET.throughputRatio * 100}% of the ceiling`,
      pass: throughput.ratio >= TARGET.throughputRatio,
      detail: `${fixed(throughput.pipelineTasksPerSecond, 1)} / ${fixed(throughput.ceilingTasksPerSecond, 1)} tasks/s = ${fixed(throughput.ratio * 100, 0)}%`,
    });
  }
  if (latency) {
    console.log(
      `submit latency (POST /tasks, ~1 KB, boot ${latency.bootSeconds.toFixed(1)} s, first request ${ms(latency.firstRequestMs)}):`,
    );
    console.log(
      table(
        ['concurrency', 'requests', 'errors', 'p50', 'p95', 'p99', 'max', 'req/s'],
        latency.series.map((x) => [
          x.concurrency,
          x.requests,
          x.errors,
          ms(x.p50),
          ms(x.p95),
          ms(x.p99),
          ms(x.max),
          fixed(x.requestsPerSecond, 1),
        ]),
      ),
    );
  }
  if (coldStart) {
    console.log(
      `cold start (package ${coldStart.packageSeconds.toFixed(0)} s; runtime-provided: ${coldStart.runtimePackages.join(', ')}):`,
    );
    console.log(
      table(
        ['function', 'zip', 'files', 'unzipped', 'import median', 'min', 'import runs (ms)'],
        coldStart.functions.map((f) => [
          f.functionKey,
          `${f.zipBytes} B (${kb(f.zipBytes)})`,
          f.files,
          kb(f.unzippedBytes),
          f.error ? 'FAILED' : ms(f.medianImportMs),
          f.error ? '' : ms(f.minImportMs),
          f.importMs.map((x) => x.toFixed(0)).join(' '),
        ]),
      ),
    );
    const biggest = coldStart.functions.reduce((a, b) => (b.zipBytes > a.zipBytes ? b : a));
    targets.push({
      target: `each zip <= ${TARGET.zipBytes} bytes`,
      pass: coldStart.functions.every((f) => f.zipBytes <= TARGET.zipBytes),
      detail: `largest ${biggest.functionKey} ${biggest.zipBytes} B`,
    });
    const slowest = coldStart.functions.reduce((a, b) => (!(b.medianImportMs <= a.medianImportMs) ? b : a));
    targets.push({
      target: `each handler imports in <= ${TARGET.importMs} ms (median)`,
      pass: coldStart.functions.every((f) => !f.error && f.medianImportMs <= TARGET.importMs),
      detail: `slowest ${slowest.functionKey} ${slowest.error ? `failed: ${slowest.error}` : ms(slowest.medianImportMs)}`,
    });
  }
  console.log('\nTargets:');
  for (const t of targets) console.log(`  ${verdict(t.pass, t.target, t.detail)}`);
  timings.total = (Date.now() - benchStart) / 1000;
  console.log(
    `\nTimings (s): ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
  results.targets = targets;
  results.timings = timings;
  const file = path.join(__dirname, 'results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : `bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
