/**
 * The throughput ceiling: the SQS and DynamoDB requests the pipeline makes for a task,
 * issued by the same number of concurrent callers through the same adapters (DynamoTaskStore,
 * SqsTaskQueue) and state transitions as lib/, without the handlers (validation, logging,
 * metrics, batch wrapper) and without the pollers' batching logic (no batching window, no
 * SQS-event conversion, no invoke). Per task: PutItem payload, PutItem state, SendMessage; per
 * attempt: receive, conditional claim, conditional outcome, SendMessage of the retry (or of the
 * DLQ message), batch delete; per dead-lettered task: receive from the DLQ, conditional FAILED
 * (with the message id on its event), delete. The bench prints both request mixes per task side
 * by side, and flags a drift when lib/ changes what a task needs. The failure draws come from the
 * same seeded source at the same rate.
 */
import { storeOptions } from '../lib/runtime';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import type { LocalServers } from '../devstack';
import { loadConfig } from '../lib/config';
import { SqsTaskQueue } from '../lib/adapters/taskQueue';
import { DynamoTaskStore } from '../lib/adapters/taskStore';
import { payloadHash } from '../lib/domain/payloadHash';
import { seededRandom } from '../lib/domain/random';
import { simulateWork } from '../lib/domain/simulation';
import * as sm from '../lib/domain/stateMachine';
import {
  DEFAULT_TASK_TYPE,
  deadLetterMessage,
  type DeadLetterMessage,
  type TaskError,
  type TaskMessage,
  type TaskState,
} from '../lib/domain/task';
import { mapLimit } from '../lib/domain/concurrency';
import { pollUntil } from '../tools/poll';
import { median } from '../tools/stats';
import type { Caller, UsageCounter, UsageSnapshot } from './counters';
import { countedClients, isolatedQueues, startPipeline, tasksOf, type BenchTask } from './pipeline';
import { fixed, table } from './format';

export interface CeilingResult {
  tasks: number;
  elapsedMs: number;
  tasksPerSecond: number;
  usage: UsageSnapshot;
}

/** Runs `tasks` through the bare request sequence; resolves once every task is SUCCEEDED or FAILED. */
export async function runCeiling(
  servers: LocalServers,
  counter: UsageCounter,
  tasks: BenchTask[],
  options: {
    queuePrefix: string;
    seed: number;
    failureRate: number;
    submitConcurrency: number;
    pollerConcurrency: number;
    timeoutMs: number;
  },
): Promise<CeilingResult> {
  const { dynamoDb: ddb, sqs } = countedClients(servers, counter, 'ceiling');
  const config = loadConfig(servers.env);
  // Queues of its own (see isolatedQueues): no poller of the pipeline, nor a long poll one left open, takes its messages.
  const queues = await isolatedQueues(servers, options.queuePrefix);
  const urlOf = (url: string) =>
    Object.entries(servers.resources.queues)
      .map(([id, q]) => (q.url === url ? queues.queues[id].url : undefined))
      .find(Boolean)!;
  const queueUrl = urlOf(config.queueUrl);
  const dlqUrl = urlOf(config.dlqUrl);
  const store = new DynamoTaskStore(ddb, config.tableName, storeOptions(config));
  const queue = new SqsTaskQueue(sqs, { queueUrl, dlqUrl });
  const random = seededRandom(options.seed);
  const abort = new AbortController();
  let done = 0;
  let lastDoneAt = 0;
  const finished = () => {
    done += 1;
    lastDoneAt = Date.now();
  };

  const submit = async ({ taskId, payload }: BenchTask) => {
    const at = new Date().toISOString();
    const task: TaskState = {
      taskId,
      type: DEFAULT_TASK_TYPE,
      status: 'QUEUED',
      attempts: 0,
      maxAttempts: config.maxAttempts,
      payloadHash: payloadHash(payload),
      correlationId: ulid(),
      createdAt: at,
      updatedAt: at,
      history: [{ type: 'QUEUED', at, attempt: 0 }],
    };
    await store.create(task, JSON.stringify(payload));
    await queue.enqueue({ taskId, type: task.type, attempt: 1, payload, correlationId: task.correlationId }, 0);
  };

  /** The outcome of the simulated work of one attempt: undefined when it succeeded. */
  const work = (m: TaskMessage): TaskError | undefined => {
    try {
      simulateWork(m.payload, m.attempt, { failureRate: options.failureRate, allowOverride: false, random });
      return undefined;
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
  };

  const processAttempt = async (message: Message) => {
    const m = JSON.parse(message.Body!) as TaskMessage;
    const leaseId = ulid();
    await store.transition(sm.claim(m.taskId, m.attempt, new Date(), config.leaseSeconds, leaseId));
    const error = work(m);
    if (!error) {
      await store.transition(sm.succeed(m.taskId, m.attempt, leaseId, new Date()));
      finished();
      return;
    }
    if (m.attempt < config.maxAttempts) {
      await store.transition(sm.scheduleRetry(m.taskId, m.attempt, leaseId, error, new Date(), 0));
      await queue.enqueue({ ...m, attempt: m.attempt + 1 }, 0);
      return;
    }
    const result = await store.transition(sm.deadLetter(m.taskId, m.attempt, leaseId, error, new Date()));
    if (!result.applied) throw new Error(`ceiling: the DEAD_LETTERED write of ${m.taskId} failed its gate`);
    await queue.deadLetter(deadLetterMessage(result.task, m.payload, error, new Date().toISOString()));
  };

  const markFailed = async (message: Message) => {
    const m = JSON.parse(message.Body!) as DeadLetterMessage;
    // The monitor records the DLQ message's id and its own delivery's on the FAILED event.
    const handling = { messageId: message.MessageId, deliveryId: ulid() };
    await store.transition(sm.failDeadLettered(m.taskId, m.attempts, m.error, new Date(), handling));
    finished();
  };

  const consume = async (url: string, handle: (message: Message) => Promise<void>) => {
    while (!abort.signal.aborted) {
      try {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        if (!Messages?.length) continue;
        await Promise.all(Messages.map(handle));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: Messages.map((msg, i) => ({ Id: String(i), ReceiptHandle: msg.ReceiptHandle! })),
          }),
        );
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      }
    }
  };

  counter.reset();
  const consumers = [
    ...Array.from({ length: options.pollerConcurrency }, () => consume(queueUrl, processAttempt)),
    ...Array.from({ length: options.pollerConcurrency }, () => consume(dlqUrl, markFailed)),
  ];
  let consumerError: unknown;
  const watched = Promise.all(consumers).catch((error) => {
    consumerError = error;
  });
  const startedAt = Date.now();
  try {
    await mapLimit(tasks, options.submitConcurrency, submit);
    await pollUntil(() => done === tasks.length || consumerError !== undefined, {
      timeoutMs: options.timeoutMs,
      intervalMs: 20,
      failure: () => `ceiling: ${tasks.length - done} of ${tasks.length} tasks unfinished after ${options.timeoutMs} ms`,
    });
    if (consumerError) throw consumerError;
  } finally {
    abort.abort();
    await watched;
    ddb.destroy();
    sqs.destroy();
  }
  const elapsedMs = lastDoneAt - startedAt;
  return { tasks: tasks.length, elapsedMs, tasksPerSecond: tasks.length / (elapsedMs / 1000), usage: counter.snapshot() };
}

export interface ThroughputResult {
  tasks: number;
  submitConcurrency: number;
  pollerConcurrency: number;
  /** Set when --window replaced serverless.yml's maximumBatchingWindow (a what-if, not the configured pipeline). */
  batchingWindowSeconds?: number;
  rounds: { pipelineTasksPerSecond: number; ceilingTasksPerSecond: number }[];
  /** The round with the median ratio (each round pairs pipeline and ceiling under the same conditions). */
  pipelineTasksPerSecond: number;
  ceilingTasksPerSecond: number;
  ratio: number;
  /** Requests per task of the last round, to show that the ceiling makes the pipeline's requests. */
  callsPerTask: { request: string; pipeline: number; ceiling: number }[];
  /** DynamoDB requests and SQS sends whose rate per task differs by more than 10%: the ceiling no longer mirrors lib/. */
  drift: string[];
}

/** Requests per task by service and operation; receives that returned nothing are left out (they depend on timing only). */
function callsPerTask(usage: UsageSnapshot, callers: Caller[], tasks: number): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const op of usage.ops.filter((o) => callers.includes(o.caller))) {
    const key = `${op.service} ${op.operation}${op.operation === 'ReceiveMessage' ? ' (with messages)' : ''}`;
    calls[key] = (calls[key] ?? 0) + (op.calls - op.emptyReceives) / tasks;
  }
  return calls;
}

/**
 * Pipeline and ceiling on the same servers, same task count, payloads, seed and concurrency,
 * `rounds` times each (alternating which goes first); each on queues of its own.
 */
export async function measureThroughput(
  servers: LocalServers,
  counter: UsageCounter,
  o: {
    runId: string;
    tasks: number;
    rounds: number;
    seed: number;
    failureRate: number;
    submitConcurrency: number;
    pollerConcurrency: number;
    batchingWindowSeconds?: number;
    log: (line: string) => void;
  },
): Promise<ThroughputResult> {
  const pipeline = startPipeline(
    servers,
    counter,
    {
      seed: o.seed,
      failureRate: o.failureRate,
      backoffBaseSeconds: 0,
      pollerConcurrency: o.pollerConcurrency,
      batchingWindowSeconds: o.batchingWindowSeconds,
    },
    await isolatedQueues(servers, `tput${o.runId}`),
  );
  const rounds: ThroughputResult['rounds'] = [];
  let calls: ThroughputResult['callsPerTask'] = [];
  const runPipeline = async (label: string, count: number, seed: number) => {
    const result = await pipeline.run(tasksOf(`tp${label.replace(/\W/g, '')}-${o.runId}`, count, 1024, seed), {
      submitConcurrency: o.submitConcurrency,
      timeoutMs: 300_000,
      seed,
    });
    o.log(`${label} pipeline: ${count} tasks in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    return result;
  };
  const runBare = async (label: string, count: number, seed: number) => {
    const result = await runCeiling(servers, counter, tasksOf(`tc${label.replace(/\W/g, '')}-${o.runId}`, count, 1024, seed), {
      queuePrefix: `ceil${label.replace(/\W/g, '')}${o.runId}`,
      seed,
      failureRate: o.failureRate,
      submitConcurrency: o.submitConcurrency,
      pollerConcurrency: o.pollerConcurrency,
      timeoutMs: 300_000,
    });
    o.log(`${label} ceiling: ${count} tasks in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    return result;
  };
  try {
    // DynamoDB Local's JIT keeps speeding up for thousands of requests: one unmeasured round of each first.
    const warmCount = Math.max(1, Math.round(o.tasks / 2));
    await runPipeline('warm-up', warmCount, o.seed + 99);
    await runBare('warm-up', warmCount, o.seed + 99);
    for (let r = 0; r < o.rounds; r++) {
      const seed = o.seed + 100 + r;
      const label = `round ${r + 1}`;
      const [p, c] =
        r % 2 === 0
          ? [await runPipeline(label, o.tasks, seed), await runBare(label, o.tasks, seed)]
          : await runBare(label, o.tasks, seed).then(async (bare) => [await runPipeline(label, o.tasks, seed), bare] as const);
      rounds.push({ pipelineTasksPerSecond: p.tasks / (p.elapsedMs / 1000), ceilingTasksPerSecond: c.tasksPerSecond });
      const mine = callsPerTask(p.usage, ['pipeline', 'esm-poller'], p.tasks);
      const bare = callsPerTask(c.usage, ['ceiling'], c.tasks);
      calls = [...new Set([...Object.keys(mine), ...Object.keys(bare)])]
        .sort()
        .map((request) => ({ request, pipeline: mine[request] ?? 0, ceiling: bare[request] ?? 0 }));
    }
  } finally {
    await pipeline.stop();
  }
  // Each round pairs the two under the same conditions; the median round is the figure.
  const ratios = rounds.map((x) => x.pipelineTasksPerSecond / x.ceilingTasksPerSecond);
  const middle = rounds[ratios.indexOf(median(ratios))];
  const pipelineTasksPerSecond = middle.pipelineTasksPerSecond;
  const ceilingTasksPerSecond = middle.ceilingTasksPerSecond;
  // Receives and deletes differ by design (the pollers' batching window fills bigger batches).
  const drift = calls
    .filter((c) => c.request.startsWith('DynamoDB') || c.request === 'SQS SendMessage')
    .filter((c) => Math.abs(c.pipeline - c.ceiling) > 0.1 * Math.max(c.pipeline, c.ceiling) + 0.02)
    .map((c) => `${c.request}: pipeline ${c.pipeline.toFixed(3)} vs ceiling ${c.ceiling.toFixed(3)} per task`);
  return {
    drift,
    ...(o.batchingWindowSeconds !== undefined ? { batchingWindowSeconds: o.batchingWindowSeconds } : {}),
    tasks: o.tasks,
    submitConcurrency: o.submitConcurrency,
    pollerConcurrency: o.pollerConcurrency,
    rounds,
    pipelineTasksPerSecond,
    ceilingTasksPerSecond,
    ratio: pipelineTasksPerSecond / ceilingTasksPerSecond,
    callsPerTask: calls,
  };
}

export function formatThroughput(t: ThroughputResult): string {
  return [
    table(
      ['round', 'pipeline tasks/s', 'ceiling tasks/s', 'ratio'],
      t.rounds.map((x, i) => [
        i + 1,
        fixed(x.pipelineTasksPerSecond, 1),
        fixed(x.ceilingTasksPerSecond, 1),
        `${fixed((100 * x.pipelineTasksPerSecond) / x.ceilingTasksPerSecond, 0)}%`,
      ]),
    ),
    '',
    'Requests per task (last round; pipeline = handlers + pollers):',
    table(
      ['request', 'pipeline', 'ceiling'],
      t.callsPerTask.map((c) => [c.request, fixed(c.pipeline, 3), fixed(c.ceiling, 3)]),
    ),
    ...(t.drift.length
      ? [`WARNING: the ceiling no longer makes the pipeline's requests (update bench/throughput.ts): ${t.drift.join('; ')}`]
      : []),
  ].join('\n');
}
