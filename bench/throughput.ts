/**
 * The throughput ceiling: the SQS and DynamoDB requests the pipeline makes for a task,
 * issued directly with the SDK by the same number of concurrent callers, without the
 * handlers (validation, logging, metrics, batch wrapper) and without the pollers' batching
 * logic (no batching window, no SQS-event conversion, no invoke). Per task: PutItem payload,
 * PutItem state, SendMessage; per attempt: receive, conditional claim, conditional outcome,
 * SendMessage of the retry (or of the DLQ message), batch delete; per dead-lettered task:
 * receive from the DLQ, conditional FAILED (with the message id on its event), delete. The bench prints
 * both request mixes per task side by side, and flags a drift when lib/ changes what a task needs. Items and messages have the pipeline's shapes
 * and sizes, and the failure draws come from the same seeded source at the same rate.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ulid } from 'ulid';
import type { LocalServers } from '../devstack/localServers';
import type { Caller, UsageCounter, UsageSnapshot } from './counters';
import { countedClients, isolatedQueues, startPipeline, tasksOf, type BenchTask } from './pipeline';
import { fixed, table } from './format';
import { mapLimit, median, seededRandom, until } from './stats';

export interface CeilingResult {
  tasks: number;
  elapsedMs: number;
  tasksPerSecond: number;
  usage: UsageSnapshot;
}

const MAX_ATTEMPTS = 3;

function attributes(taskId: string, correlationId: string, attempt: number) {
  return {
    taskId: { DataType: 'String', StringValue: taskId },
    correlationId: { DataType: 'String', StringValue: correlationId },
    attempt: { DataType: 'Number', StringValue: String(attempt) },
  };
}

interface Update {
  taskId: string;
  to: string;
  condition: string;
  values: Record<string, unknown>;
  set?: string[];
  remove: string[];
  event: Record<string, unknown>;
}

function update(ddb: DynamoDBClient, tableName: string, u: Update) {
  const at = new Date().toISOString();
  return ddb.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: marshall({ pk: `TASK#${u.taskId}`, sk: 'STATE' }),
      UpdateExpression: `SET #status = :to, updatedAt = :at, history = list_append(history, :event)${(u.set ?? []).map((s) => `, ${s}`).join('')} REMOVE ${u.remove.join(', ')}`,
      ConditionExpression: `attribute_exists(pk) AND ${u.condition}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall(
        { ':to': u.to, ':at': at, ':event': [{ ...u.event, type: u.to, at }], ...u.values },
        { removeUndefinedValues: true },
      ),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );
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
  const tableName = servers.env.TASKS_TABLE;
  // Queues of its own (see isolatedQueues): no poller of the pipeline, nor a long poll one left open, takes its messages.
  const queues = await isolatedQueues(servers, options.queuePrefix);
  const urlOf = (url: string) =>
    Object.entries(servers.resources.queues)
      .map(([id, q]) => (q.url === url ? queues.queues[id].url : undefined))
      .find(Boolean)!;
  const queueUrl = urlOf(servers.env.TASKS_QUEUE_URL);
  const dlqUrl = urlOf(servers.env.DLQ_URL);
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
    const payloadJson = JSON.stringify(payload);
    const hash = createHash('sha256').update(payloadJson).digest('base64url');
    const correlationId = ulid();
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ pk: `TASK#${taskId}`, sk: 'PAYLOAD', taskId, payloadHash: hash, payload: payloadJson }),
        ConditionExpression: 'attribute_not_exists(pk) OR payloadHash = :hash',
        ExpressionAttributeValues: marshall({ ':hash': hash }),
      }),
    );
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({
          pk: `TASK#${taskId}`,
          sk: 'STATE',
          taskId,
          status: 'QUEUED',
          attempts: 0,
          maxAttempts: MAX_ATTEMPTS,
          payloadHash: hash,
          correlationId,
          createdAt: at,
          updatedAt: at,
          history: [{ type: 'QUEUED', at, attempt: 0 }],
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ taskId, attempt: 1, payload, correlationId }),
        DelaySeconds: 0,
        MessageAttributes: attributes(taskId, correlationId, 1),
      }),
    );
  };

  const processAttempt = async (message: Message) => {
    const m = JSON.parse(message.Body!) as { taskId: string; attempt: number; payload: Record<string, unknown>; correlationId: string };
    const now = new Date();
    const leaseId = ulid();
    await update(ddb, tableName, {
      taskId: m.taskId,
      to: 'PROCESSING',
      condition:
        '((#status = :q AND attempts = :prev) OR (#status = :r AND attempts = :prev) OR (#status = :p AND attempts = :attempt AND leaseUntil < :now))',
      values: {
        ':q': 'QUEUED',
        ':r': 'RETRY_SCHEDULED',
        ':p': 'PROCESSING',
        ':prev': m.attempt - 1,
        ':attempt': m.attempt,
        ':now': now.toISOString(),
        ':leaseId': leaseId,
        ':leaseUntil': new Date(now.getTime() + 30_000).toISOString(),
      },
      set: ['attempts = :attempt', 'leaseId = :leaseId', 'leaseUntil = :leaseUntil'],
      remove: ['nextAttemptAt'],
      event: { attempt: m.attempt },
    });
    const gate = {
      condition: '#status = :p AND attempts = :attempt AND leaseId = :leaseId',
      values: { ':p': 'PROCESSING', ':attempt': m.attempt, ':leaseId': leaseId },
    };
    if (random() >= options.failureRate) {
      await update(ddb, tableName, {
        taskId: m.taskId,
        to: 'SUCCEEDED',
        ...gate,
        remove: ['leaseId', 'leaseUntil', 'nextAttemptAt'],
        event: { attempt: m.attempt },
      });
      finished();
      return;
    }
    const error = {
      name: 'SimulatedFailure',
      message: `simulated work failed: random failure (rate ${options.failureRate}) on attempt ${m.attempt}`,
    };
    if (m.attempt < MAX_ATTEMPTS) {
      await update(ddb, tableName, {
        taskId: m.taskId,
        to: 'RETRY_SCHEDULED',
        condition: gate.condition,
        values: { ...gate.values, ':lastError': error, ':nextAttemptAt': new Date().toISOString() },
        set: ['lastError = :lastError', 'nextAttemptAt = :nextAttemptAt'],
        remove: ['leaseId', 'leaseUntil'],
        event: { attempt: m.attempt, error, delaySeconds: 0 },
      });
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify({ ...m, attempt: m.attempt + 1 }),
          DelaySeconds: 0,
          MessageAttributes: attributes(m.taskId, m.correlationId, m.attempt + 1),
        }),
      );
      return;
    }
    await update(ddb, tableName, {
      taskId: m.taskId,
      to: 'DEAD_LETTERED',
      condition: gate.condition,
      values: { ...gate.values, ':lastError': error },
      set: ['lastError = :lastError'],
      remove: ['leaseId', 'leaseUntil', 'nextAttemptAt'],
      event: { attempt: m.attempt, error },
    });
    const dead = {
      kind: 'DEAD_LETTERED',
      taskId: m.taskId,
      payload: m.payload,
      attempts: m.attempt,
      error,
      failedAt: new Date().toISOString(),
      correlationId: m.correlationId,
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: JSON.stringify(dead),
        MessageAttributes: attributes(m.taskId, m.correlationId, m.attempt),
      }),
    );
  };

  const markFailed = async (message: Message) => {
    const m = JSON.parse(message.Body!) as { taskId: string; attempts: number; error: unknown };
    await update(ddb, tableName, {
      taskId: m.taskId,
      to: 'FAILED',
      condition: '#status = :d AND attempts = :attempts',
      values: { ':d': 'DEAD_LETTERED', ':attempts': m.attempts },
      remove: ['leaseId', 'leaseUntil', 'nextAttemptAt'],
      // The monitor records the DLQ message's id on the FAILED event.
      event: { attempt: m.attempts, error: m.error, messageId: message.MessageId },
    });
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
    await until(
      () => done === tasks.length || consumerError !== undefined,
      options.timeoutMs,
      () => `ceiling: ${tasks.length - done} of ${tasks.length} tasks unfinished after ${options.timeoutMs} ms`,
      20,
    );
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
