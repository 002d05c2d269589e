import { QueryCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'chai';
import { createHandler as createGet } from '../../handlers/getTask';
import { createHandler as createList } from '../../handlers/listTasks';
import { createHandler as createRedrive } from '../../handlers/redriveTask';
import { reconcile } from '../../lib/app/reconcile';
import { payloadHash } from '../../lib/domain/payloadHash';
import type { TaskState } from '../../lib/domain/task';
import { getTaskEvent, testConfig } from '../helpers/factories';
import { registryFor } from '../../lib/types/registry';
import { startPipeline, type Pipeline } from './harness';
import fc from 'fast-check';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { MessageRejectedError } from '../../lib/domain/errors';
import { SqsTaskQueue } from '../../lib/adapters/taskQueue';
import { EDGE_CHARACTERS, payloadArbitrary } from '../support/unicode';
import { parseSubmitRequest } from '../../lib/lambda/validation';

const isTerminal = (task: TaskState) => task.status === 'SUCCEEDED' || task.status === 'FAILED';
const types = (task: TaskState) => task.history.map((event) => event.type);

describe('pipeline on DynamoDB Local and fauxqs (real handlers, Lambda-like pollers)', function () {
  this.timeout(60_000);
  let pipeline: Pipeline;

  before(async function () {
    this.timeout(120_000);
    pipeline = await startPipeline({ backoffBaseSeconds: 1, visibilityTimeoutSeconds: 2 });
  });

  after(async function () {
    this.timeout(30_000);
    await pipeline?.stop();
  });

  beforeEach(() => {
    pipeline.randomMode = 'pass';
  });

  it('retries with the real DelaySeconds schedule (1 s, then 2 s) and succeeds on attempt 3', async () => {
    const submitted = await pipeline.submit('retry-path', { simulate: { failOnAttempts: [1, 2] } });
    expect(submitted.statusCode).to.equal(202);

    const task = await pipeline.waitFor('retry-path', isTerminal);

    expect(task).to.include({ status: 'SUCCEEDED', attempts: 3 });
    expect(types(task)).to.deep.equal([
      'QUEUED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'SUCCEEDED',
    ]);
    const scheduled = task.history.filter((e) => e.type === 'RETRY_SCHEDULED');
    expect(scheduled.map((e) => e.delaySeconds)).to.deep.equal([1, 2]);
    for (const retry of scheduled) {
      const next = task.history.find((e) => e.type === 'PROCESSING' && e.attempt === retry.attempt + 1)!;
      const gapMs = Date.parse(next.at) - Date.parse(retry.at);
      // SQS delays to whole seconds; allow the clock-granularity of ISO milliseconds.
      expect(gapMs, `gap before attempt ${retry.attempt + 1}`).to.be.at.least(retry.delaySeconds! * 1000 - 5);
    }
  });

  it('sends the task explicitly to the DLQ after the third failure; the monitor logs taskId, payload and error and marks it FAILED', async () => {
    const payload = { simulate: 'fail', order: 'A-17' };
    await pipeline.submit('always-fails', payload);

    const task = await pipeline.waitFor('always-fails', isTerminal);
    await pipeline.waitForLine('TASK_FAILED', 'always-fails');

    expect(task).to.include({ status: 'FAILED', attempts: 3 });
    expect(types(task).slice(-2)).to.deep.equal(['DEAD_LETTERED', 'FAILED']);
    expect(task.lastError?.name).to.equal('SimulatedFailure');
    const failedLines = pipeline.logs.filter((l) => l.message === 'TASK_FAILED' && l.taskId === 'always-fails');
    expect(failedLines).to.have.length(1);
    expect(failedLines[0]).to.deep.include({ payload, source: 'DEAD_LETTERED', attempts: 3, errorName: 'SimulatedFailure' });
    expect(failedLines[0].error).to.contain('simulated work failed');
    const linesWithPayload = pipeline.logs.filter((l) => JSON.stringify(l).includes('A-17'));
    expect(
      linesWithPayload.map((l) => l.message),
      'only the monitor logs payloads',
    ).to.deep.equal(['TASK_FAILED']);
  });

  it('moves a message whose bookkeeping keeps failing to the DLQ by the RedrivePolicy; the monitor marks it FAILED saying no error was recorded', async () => {
    pipeline.brokenClaims.add('poison-claim');
    await pipeline.submit('poison-claim', { n: 1 });

    const task = await pipeline.waitFor('poison-claim', isTerminal, 40_000);

    expect(task.status).to.equal('FAILED');
    expect(task.history.at(-1)!.error!.name).to.equal('MaxReceiveCountExceeded');
    const line = await pipeline.waitForLine('TASK_FAILED', 'poison-claim');
    expect(line).to.deep.include({ payload: { n: 1 }, source: 'REDRIVE_POLICY' });
    expect(line.error).to.match(/^no error was recorded/);
    const receives = pipeline.logs.filter((l) => l.message === 'RECORD_FAILED' && l.taskId === 'poison-claim').length;
    expect(receives).to.equal(Number(pipeline.servers.config.custom?.maxReceiveCount));
  });

  it('absorbs a duplicate delivery: the same message twice processes the task once', async () => {
    pipeline.brokenClaims.clear();
    await pipeline.submit('dup', { n: 2 });
    const original = await pipeline.waitFor('dup', isTerminal);
    const body = JSON.stringify({ taskId: 'dup', attempt: 1, payload: { n: 2 }, correlationId: original.correlationId });
    await pipeline.servers.clients.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.deps.config.queueUrl, MessageBody: body }));
    await pipeline.servers.clients.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.deps.config.queueUrl, MessageBody: body }));

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await pipeline.waitFor('dup', isTerminal);

    expect(after).to.deep.equal(original);
    expect(pipeline.logs.filter((l) => l.message === 'DELIVERY_IGNORED' && l.taskId === 'dup').length).to.be.at.least(2);
  });

  it('keeps the history queryable in order with a DynamoDB Query by taskId', async () => {
    await pipeline.submit('queryable', { simulate: { failOnAttempts: [1] } });
    await pipeline.waitFor('queryable', isTerminal);

    const { Items } = await pipeline.servers.clients.dynamoDb.send(
      new QueryCommand({
        TableName: pipeline.deps.config.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': 'TASK#queryable' }),
      }),
    );
    const items = (Items ?? []).map((item) => unmarshall(item));
    const state = items.find((item) => item.sk === 'STATE')!;
    const payloadItem = items.find((item) => item.sk === 'PAYLOAD')!;

    expect(state.history.map((e: { type: string }) => e.type)).to.deep.equal([
      'QUEUED',
      'PROCESSING',
      'RETRY_SCHEDULED',
      'PROCESSING',
      'SUCCEEDED',
    ]);
    const times = state.history.map((e: { at: string }) => e.at);
    expect([...times].sort()).to.deep.equal(times);
    expect(JSON.parse(payloadItem.payload)).to.deep.equal({ simulate: { failOnAttempts: [1] } });
    const get = await createGet(() => pipeline.deps)(getTaskEvent('queryable'));
    expect(JSON.parse(get.body).history).to.deep.equal(state.history);
  });

  it('lists FAILED tasks from the byPhase index and redrives one to SUCCEEDED with a fresh attempt budget', async () => {
    pipeline.randomMode = 'fail';
    await pipeline.submit('redrive-me', { n: 3 });
    await pipeline.waitFor('redrive-me', isTerminal);

    const listed = await createList(() => pipeline.deps)({
      ...getTaskEvent('x'),
      pathParameters: null,
      queryStringParameters: { status: 'FAILED', limit: '100' },
    });
    const failedIds = JSON.parse(listed.body).tasks.map((t: { taskId: string }) => t.taskId);
    expect(failedIds).to.include('redrive-me');
    expect(failedIds.indexOf('redrive-me')).to.be.lessThan(failedIds.indexOf('always-fails'));

    pipeline.randomMode = 'pass';
    const redriven = await createRedrive(() => pipeline.deps)({ ...getTaskEvent('redrive-me'), httpMethod: 'POST' });
    expect(redriven.statusCode).to.equal(202);
    const task = await pipeline.waitFor('redrive-me', (t) => t.status === 'SUCCEEDED');

    expect(task.attempts).to.equal(1);
    expect(types(task).slice(-5)).to.deep.equal(['DEAD_LETTERED', 'FAILED', 'REDRIVEN', 'PROCESSING', 'SUCCEEDED']);
    const again = await createRedrive(() => pipeline.deps)({ ...getTaskEvent('redrive-me'), httpMethod: 'POST' });
    expect(again.statusCode).to.equal(409);
  });

  it('pages through a listing with the cursor, newest first, without repeats', async () => {
    const page1 = await createList(() => pipeline.deps)({
      ...getTaskEvent('x'),
      pathParameters: null,
      queryStringParameters: { status: 'SUCCEEDED', limit: '2' },
    });
    const first = JSON.parse(page1.body);
    const page2 = await createList(() => pipeline.deps)({
      ...getTaskEvent('x'),
      pathParameters: null,
      queryStringParameters: { status: 'SUCCEEDED', limit: '2', cursor: first.cursor },
    });
    const second = JSON.parse(page2.body);

    const all = [...first.tasks, ...second.tasks];
    expect(first.tasks).to.have.length(2);
    expect(new Set(all.map((t) => t.taskId)).size).to.equal(all.length);
    const updated = all.map((t) => t.updatedAt);
    expect([...updated].sort().reverse()).to.deep.equal(updated);
  });

  it('reconciles a task left QUEUED by a crash between the write and SendMessage, and it finishes', async () => {
    const now = new Date().toISOString();
    const payload = { crashed: true };
    await pipeline.deps.store.create(
      {
        taskId: 'crashed-submit',
        type: 'simulated',
        status: 'QUEUED',
        attempts: 0,
        maxAttempts: 3,
        payloadHash: payloadHash(payload),
        correlationId: 'c',
        createdAt: now,
        updatedAt: now,
        history: [{ type: 'QUEUED', at: now, attempt: 0 }],
      },
      JSON.stringify(payload),
    );
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await pipeline.deps.store.get('crashed-submit'))!.status).to.equal('QUEUED');

    const report = await reconcile(pipeline.deps, { graceSeconds: 1, maxPerStatus: 100 });
    const task = await pipeline.waitFor('crashed-submit', isTerminal);

    expect(report.resent.QUEUED).to.equal(1);
    expect(task).to.include({ status: 'SUCCEEDED', attempts: 1 });
    const raw = await pipeline.servers.clients.dynamoDb.send(
      new GetItemCommand({ TableName: pipeline.deps.config.tableName, Key: marshall({ pk: 'TASK#crashed-submit', sk: 'STATE' }) }),
    );
    expect(unmarshall(raw.Item!).history).to.have.length(3);
  });

  it('finishes tasks whose payloads hold every edge character (emoji, U+FFFE, U+FFFF, controls) through fauxqs, payload intact', async () => {
    const payloads = EDGE_CHARACTERS.map((char, i) => ({ i, s: `a${char}b`, [`k${char}`]: [char] }));
    const ids = payloads.map((_, i) => `edge-${i}`);

    const answers = await Promise.all(payloads.map((payload, i) => pipeline.submit(ids[i], payload)));
    const tasks = await Promise.all(ids.map((id) => pipeline.waitFor(id, isTerminal)));

    expect(answers.map((a) => a.statusCode)).to.deep.equal(ids.map(() => 202));
    expect(tasks.map((t) => t.status)).to.deep.equal(ids.map(() => 'SUCCEEDED'));
    expect(await Promise.all(ids.map((id) => pipeline.deps.store.getPayload(id)))).to.deep.equal(payloads);
  });

  it('property: generated payloads the API accepts all finish, and a failing one reaches the DLQ and is logged with the same payload', async function () {
    this.timeout(90_000);
    const accepted = fc.sample(payloadArbitrary, { seed: 7, numRuns: 60 }).flatMap((payload) => {
      try {
        return [
          parseSubmitRequest(
            { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ taskId: 'p', payload }) },
            240 * 1024,
            registryFor(testConfig(), () => 0.5),
          ).payload,
        ];
      } catch {
        return [];
      }
    });
    const ids = accepted.map((_, i) => `prop-${i}`);
    const doomed = { ...accepted[0], simulate: 'fail', e: '😀\uffff' };

    await Promise.all([...accepted.map((payload, i) => pipeline.submit(ids[i], payload)), pipeline.submit('prop-doomed', doomed)]);
    const tasks = await Promise.all([...ids, 'prop-doomed'].map((id) => pipeline.waitFor(id, isTerminal, 60_000)));

    expect(accepted.length).to.be.greaterThan(40);
    expect(tasks.map((t) => t.status)).to.deep.equal([...ids.map(() => 'SUCCEEDED'), 'FAILED']);
    const line = await pipeline.waitForLine('TASK_FAILED', 'prop-doomed');
    expect(line.payload).to.deep.equal(doomed);
  });

  it("turns fauxqs refusing a message (over the queue's MaximumMessageSize) into MessageRejectedError, not a retryable error", async () => {
    const { QueueUrl } = await pipeline.servers.clients.sqs.send(
      new CreateQueueCommand({ QueueName: 'tiny', Attributes: { MaximumMessageSize: '1024' } }),
    );
    const tiny = new SqsTaskQueue(pipeline.servers.clients.sqs, { queueUrl: QueueUrl!, dlqUrl: QueueUrl! });

    const error = await tiny
      .enqueue({ taskId: 'big', type: 'simulated', attempt: 1, payload: { blob: 'x'.repeat(2000) }, correlationId: 'c' }, 0)
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).to.be.instanceOf(MessageRejectedError);
    expect(error).to.include({ code: 'InvalidParameterValue' });
  });
});
