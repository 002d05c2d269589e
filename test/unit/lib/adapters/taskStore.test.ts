import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { TaskConflictError, ValidationError } from '../../../../lib/domain/errors';
import {
  cancel,
  claim,
  deadLetter,
  failRedriven,
  redrive,
  scheduleRetry,
  succeed,
  type Transition,
} from '../../../../lib/domain/stateMachine';
import { shardOf } from '../../../../lib/domain/shards';
import type { TaskState } from '../../../../lib/domain/task';
import { DynamoTaskStore, type TaskStoreOptions } from '../../../../lib/adapters/taskStore';
import { taskState } from '../../../helpers/factories';

const TABLE = 'tasks-test';
const NOW = new Date('2026-01-01T00:01:00.000Z');
const ERROR = { name: 'SimulatedFailure', message: 'simulated work failed' };

/** The stored item of a task state, with its keys. */
function stateItem(task: Partial<TaskState> & { taskId: string }) {
  return marshall({ pk: `TASK#${task.taskId}`, sk: 'STATE', ...task }, { removeUndefinedValues: true });
}

/** A typed DynamoDB condition failure, optionally carrying the item as it was (ReturnValuesOnConditionCheckFailure). */
function conditionFailed(item?: TaskState): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: stateItem(item) } : {}),
  });
}

/** What an UpdateExpression sets and removes, order-insensitive. */
function updateClauses(expression: string): { set: string[]; remove: string[] } {
  const match = /^SET (.+?)(?: REMOVE (.+))?$/.exec(expression);
  expect(match, `unexpected UpdateExpression: ${expression}`).not.to.equal(null);
  const clauses = (list: string) => list.split(/, (?![^(]*\))/); // commas inside list_append(...) do not separate clauses
  return { set: clauses(match![1]), remove: match![2] ? clauses(match![2]) : [] };
}

/** What a redrive's condition adds to its gates: an expired task (not yet deleted by TTL) is gone. */
const NOT_EXPIRED = ' AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)';

/**
 * The ConditionExpression's gate part: the terms of each OR-ed gate. A single gate is a
 * bare conjunction, several are parenthesised (DynamoDB rejects redundant parentheses).
 */
function gateTerms(expression: string): string[][] {
  const condition = expression.endsWith(NOT_EXPIRED) ? expression.slice(0, -NOT_EXPIRED.length) : expression;
  const prefix = 'attribute_exists(pk) AND ';
  expect(condition.startsWith(prefix), `condition does not require an existing item: ${condition}`).to.equal(true);
  const rest = condition.slice(prefix.length);
  if (!rest.startsWith('(')) return [rest.split(' AND ')];
  expect(rest.endsWith(')')).to.equal(true);
  return rest
    .slice(1, -1)
    .split(' OR ')
    .map((gate) => gate.replace(/^\(|\)$/g, '').split(' AND '));
}

/** ExpressionAttributeValues as plain values. */
function values(input: { ExpressionAttributeValues?: PutItemCommandInput['ExpressionAttributeValues'] }): Record<string, unknown> {
  return unmarshall(input.ExpressionAttributeValues ?? {});
}

/** Each gate as plain conditions (placeholders resolved to their values), sorted within the gate. */
function resolveGates(input: UpdateItemCommandInput): string[][] {
  const vals = values(input);
  return gateTerms(input.ConditionExpression!).map((terms) =>
    terms.map((term) => term.replace(/:[A-Za-z0-9]+/g, (name) => JSON.stringify(vals[name])).replace('#status', 'status')).sort(),
  );
}

const CURSOR_KEY = 'unit-test-cursor-key-0123456789';
/** One shard and no retention: the index keys and writes as before sharding; the tests of shards and expiry set their own. */
const OPTIONS: TaskStoreOptions = {
  cursorKey: CURSOR_KEY,
  indexShards: 1,
  retentionDays: 0,
  unfinishedLifetimeSeconds: 11_100,
  indexSucceeded: true,
  clock: () => NOW,
};

describe('DynamoTaskStore', () => {
  // Mock one client instance, never the class: a class-wide mock would also capture the
  // real clients of the integration suites that run in the same mocha process.
  let ddb: AwsClientStub<DynamoDBClient>;
  let store: DynamoTaskStore;
  let ddbClient: DynamoDBClient;

  beforeEach(() => {
    ddbClient = new DynamoDBClient({ region: 'us-east-1' });
    ddb = mockClient(ddbClient);
    store = new DynamoTaskStore(ddbClient, TABLE, OPTIONS);
  });

  const puts = () => ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
  const updates = () => ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);

  describe('create', () => {
    it('writes the PAYLOAD item before the STATE item', async () => {
      ddb.on(PutItemCommand).resolves({});

      await store.create(taskState({ payloadHash: 'h1' }), '{"n":1}');

      const sortKeys = ddb.calls().map((call) => unmarshall((call.args[0].input as PutItemCommandInput).Item!).sk);
      expect(sortKeys).to.deep.equal(['PAYLOAD', 'STATE']);
    });

    it('writes the payload item only if the task is new or has the same payload hash', async () => {
      ddb.on(PutItemCommand).resolves({});

      await store.create(taskState({ taskId: 'order-7', payloadHash: 'h1' }), '{"n":1}');

      const payloadPut = puts()[0];
      expect(payloadPut.TableName).to.equal(TABLE);
      expect(payloadPut.ConditionExpression).to.equal(
        'attribute_not_exists(pk) OR #expiresAt <= :now OR (payloadHash = :hash AND (#type = :type OR attribute_not_exists(#type)))',
      );
      // An expired payload item (TTL deletes within days, not at once) counts as absent.
      expect(payloadPut.ExpressionAttributeNames).to.deep.equal({ '#type': 'type', '#expiresAt': 'expiresAt' });
      expect(values(payloadPut)).to.deep.equal({ ':hash': 'h1', ':type': 'simulated', ':now': Date.parse(taskState().createdAt) / 1000 });
      expect(unmarshall(payloadPut.Item!)).to.deep.equal({
        pk: 'TASK#order-7',
        sk: 'PAYLOAD',
        payloadHash: 'h1',
        payload: '{"n":1}',
      });
    });

    it('stores a payload gzip-compressed when that is smaller, and reads it back unchanged', async () => {
      ddb.on(PutItemCommand).resolves({});
      const payloadJson = JSON.stringify({
        lines: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i, note: 'standard shipping' })),
      });

      await store.create(taskState({ taskId: 'big' }), payloadJson);
      const item = puts()[0].Item!;
      ddb.on(GetItemCommand).resolves({ Item: item });

      expect(item).to.have.property('payloadGzip');
      expect(item).not.to.have.property('payload');
      expect(item.payloadGzip.B!.length).to.be.lessThan(Buffer.byteLength(payloadJson) / 2);
      expect(await store.getPayload('big')).to.deep.equal(JSON.parse(payloadJson));
    });

    it('writes the state item only if it does not exist yet, asking for the existing item on failure', async () => {
      ddb.on(PutItemCommand).resolves({});
      const task = taskState({ taskId: 'order-7' });

      await store.create(task, '{"n":1}');

      const statePut = puts()[1];
      expect(statePut).to.include({
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      expect(values(statePut)).to.deep.equal({ ':now': Date.parse(task.createdAt) / 1000 });
      // The default type is not stored: it is what an item without a type reads back as.
      const { type: _type, ...stored } = task;
      expect(unmarshall(statePut.Item!)).to.deep.equal({
        pk: 'TASK#order-7',
        sk: 'STATE',
        ...stored,
        phase: 'UNFINISHED#0',
        phaseAt: task.createdAt,
      });
    });

    it('stores the type of a task of another type on both items, and reads the default back for an item without one', async () => {
      ddb.on(PutItemCommand).resolves({});

      await store.create(taskState({ taskId: 'hook-1', type: 'webhook' }), '{"n":1}');

      expect(puts().map((put) => unmarshall(put.Item!).type)).to.deep.equal(['webhook', 'webhook']);
      const { type: _type, ...untyped } = taskState({ taskId: 'old-1' });
      ddb
        .on(GetItemCommand)
        .resolves({ Item: marshall({ pk: 'TASK#old-1', sk: 'STATE', ...untyped, phase: 'UNFINISHED', phaseAt: untyped.createdAt }) });
      expect((await store.get('old-1'))!.type).to.equal('simulated');
    });

    it('returns created: true with the task when both writes succeed', async () => {
      ddb.on(PutItemCommand).resolves({});
      const task = taskState();

      const result = await store.create(task, '{"n":1}');

      expect(result).to.deep.equal({ created: true, task });
    });

    it('throws TaskConflictError and writes no state when the taskId exists with a different payload', async () => {
      ddb.on(PutItemCommand).rejectsOnce(conditionFailed());

      const error = await store.create(taskState({ taskId: 'order-7' }), '{"n":2}').then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.be.instanceOf(TaskConflictError);
      expect((error as TaskConflictError).taskId).to.equal('order-7');
      expect(puts()).to.have.length(1);
    });

    it('returns created: false with the existing task, without pk and sk, for a same-payload resubmission', async () => {
      const existing = taskState({ status: 'SUCCEEDED', attempts: 1, correlationId: 'corr-old' });
      ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed(existing));

      const result = await store.create(taskState({ correlationId: 'corr-new' }), '{"n":1}');

      expect(result).to.deep.equal({ created: false, task: existing });
      expect(result.task).not.to.have.any.keys('pk', 'sk');
    });

    it('rethrows a condition failure on the state item that carries no item', async () => {
      const failure = conditionFailed();
      ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(failure);

      const error = await store.create(taskState(), '{"n":1}').then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.equal(failure);
    });

    it('rethrows other errors of the payload write unchanged, not as a conflict', async () => {
      const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      ddb.on(PutItemCommand).rejects(throttled);

      const error = await store.create(taskState(), '{"n":1}').then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.equal(throttled);
      expect(puts()).to.have.length(1);
    });
  });

  describe('get and getPayload', () => {
    it('reads the state item strongly consistently and returns it without pk and sk', async () => {
      const task = taskState({ taskId: 'order-7', status: 'PROCESSING', attempts: 1 });
      ddb.on(GetItemCommand).resolves({ Item: stateItem(task) });

      const result = await store.get('order-7');

      expect(result).to.deep.equal(task);
      const input = ddb.commandCalls(GetItemCommand)[0].args[0].input;
      expect(input).to.include({ TableName: TABLE, ConsistentRead: true });
      expect(unmarshall(input.Key!)).to.deep.equal({ pk: 'TASK#order-7', sk: 'STATE' });
    });

    it('returns undefined for an unknown task', async () => {
      ddb.on(GetItemCommand).resolves({});

      const result = await store.get('missing');

      expect(result).to.equal(undefined);
    });

    it('returns the payload parsed from the PAYLOAD item', async () => {
      ddb
        .on(GetItemCommand)
        .resolves({ Item: marshall({ pk: 'TASK#t', sk: 'PAYLOAD', taskId: 't', payloadHash: 'h', payload: '{"sku":"A1","qty":2}' }) });

      const payload = await store.getPayload('t');

      expect(payload).to.deep.equal({ sku: 'A1', qty: 2 });
      expect(unmarshall(ddb.commandCalls(GetItemCommand)[0].args[0].input.Key!)).to.deep.equal({ pk: 'TASK#t', sk: 'PAYLOAD' });
    });

    it('refuses a state item this store did not write (an unknown status) instead of returning it as a task', async () => {
      const item = marshall(
        { pk: 'TASK#order-7', sk: 'STATE', ...taskState({ taskId: 'order-7' }), status: 'DONE' },
        { removeUndefinedValues: true },
      );
      ddb.on(GetItemCommand).resolves({ Item: item });

      const error = await store.get('order-7').then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(/^a tasks table item does not have the shape this store writes: .*status/s);
    });

    it('refuses a stored payload that is not a JSON object', async () => {
      ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'TASK#t', sk: 'PAYLOAD', payloadHash: 'h', payload: '[1,2]' }) });

      const error = await store.getPayload('t').then(
        () => undefined,
        (e: unknown) => e,
      );

      expect((error as Error).message).to.contain('the stored payload is not a JSON object');
    });
  });

  describe('transition', () => {
    const claimed = taskState({ status: 'PROCESSING', attempts: 1, leaseId: 'lease-1', leaseUntil: '2026-01-01T00:01:30.000Z' });

    /** Runs t against a mock that answers with `after` as the new item. */
    async function runTransition(t: Transition, after: TaskState = claimed) {
      ddb.on(UpdateItemCommand).resolves({ Attributes: stateItem(after) });
      const result = await store.transition(t);
      return { result, input: updates()[0] };
    }

    it('updates the STATE item of the task, returning the new item and the old one on condition failure', async () => {
      const { input } = await runTransition(claim('order-7', 1, NOW, 30, 'lease-1'));

      expect(input).to.include({ TableName: TABLE, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
      expect(unmarshall(input.Key!)).to.deep.equal({ pk: 'TASK#order-7', sk: 'STATE' });
      expect(input.ExpressionAttributeNames).to.deep.equal({ '#status': 'status' });
    });

    it('requires the item to exist and encodes every claim gate: QUEUED or RETRY_SCHEDULED at attempt-1, or PROCESSING with an expired lease', async () => {
      const { input } = await runTransition(claim('task-1', 2, NOW, 30, 'lease-1'));

      expect(resolveGates(input)).to.deep.equal([
        ['attempts = 1', 'status = "QUEUED"'],
        ['attempts = 1', 'status = "RETRY_SCHEDULED"'],
        ['attempts = 2', `leaseUntil < "${NOW.toISOString()}"`, 'status = "PROCESSING"'],
      ]);
    });

    it('encodes the lease holder in the gate of a success', async () => {
      const { input } = await runTransition(succeed('task-1', 1, 'lease-1', NOW));

      expect(resolveGates(input)).to.deep.equal([['attempts = 1', 'leaseId = "lease-1"', 'status = "PROCESSING"']]);
    });

    it('encodes status-only gates (a redrive, from FAILED or CANCELLED) without attempt or lease terms', async () => {
      const { input } = await runTransition(redrive('task-1', NOW));

      expect(resolveGates(input)).to.deep.equal([['status = "FAILED"'], ['status = "CANCELLED"']]);
    });

    it('on a claim sets status, updatedAt, attempts and the lease, appends the event and removes nextAttemptAt', async () => {
      const { input } = await runTransition(claim('task-1', 2, NOW, 30, 'lease-1'));

      const { set, remove } = updateClauses(input.UpdateExpression!);
      expect(set).to.have.members([
        '#status = :to',
        'updatedAt = :at',
        'history = list_append(history, :event)',
        'attempts = :attempts',
        'leaseId = :leaseId',
        'leaseUntil = :leaseUntil',
      ]);
      expect(remove).to.deep.equal(['nextAttemptAt']);
      expect(values(input)).to.deep.include({
        ':to': 'PROCESSING',
        ':at': NOW.toISOString(),
        ':event': [{ type: 'PROCESSING', at: NOW.toISOString(), attempt: 2 }],
        ':attempts': 2,
        ':leaseId': 'lease-1',
        ':leaseUntil': '2026-01-01T00:01:30.000Z',
      });
    });

    it('on a success removes the lease and nextAttemptAt and keeps attempts and lastError', async () => {
      const { input } = await runTransition(succeed('task-1', 1, 'lease-1', NOW));

      const { set, remove } = updateClauses(input.UpdateExpression!);
      // Finishing also moves the task to the SUCCEEDED phase of the byPhase index.
      expect(set).to.have.members([
        '#status = :to',
        'updatedAt = :at',
        'history = list_append(history, :event)',
        'phase = :phase',
        'phaseAt = :at',
      ]);
      expect(remove).to.have.members(['leaseId', 'leaseUntil', 'nextAttemptAt']);
      expect(values(input)[':event']).to.deep.equal([{ type: 'SUCCEEDED', at: NOW.toISOString(), attempt: 1 }]);
    });

    it('on a retry sets lastError and nextAttemptAt, appends the event with delaySeconds and removes the lease', async () => {
      const { input } = await runTransition(scheduleRetry('task-1', 1, 'lease-1', ERROR, NOW, 10));

      const { set, remove } = updateClauses(input.UpdateExpression!);
      expect(set).to.include.members(['lastError = :lastError', 'nextAttemptAt = :nextAttemptAt']);
      expect(remove).to.have.members(['leaseId', 'leaseUntil']);
      expect(values(input)).to.deep.include({
        ':lastError': ERROR,
        ':nextAttemptAt': '2026-01-01T00:01:10.000Z',
        ':event': [{ type: 'RETRY_SCHEDULED', at: NOW.toISOString(), attempt: 1, error: ERROR, delaySeconds: 10 }],
      });
    });

    it('on a dead-letter sets lastError and removes both the lease and nextAttemptAt', async () => {
      const { input } = await runTransition(deadLetter('task-1', 3, 'lease-1', ERROR, NOW));

      const { set, remove } = updateClauses(input.UpdateExpression!);
      expect(set).to.include('lastError = :lastError');
      expect(remove).to.have.members(['leaseId', 'leaseUntil', 'nextAttemptAt']);
    });

    it('on a redriven failure leaves lastError untouched', async () => {
      const { input } = await runTransition(failRedriven('task-1', 2, ERROR, NOW));

      const { set } = updateClauses(input.UpdateExpression!);
      expect(set.some((clause) => clause.startsWith('lastError'))).to.equal(false);
      expect(values(input)).not.to.have.property(':lastError');
    });

    it('returns applied: true with the new state, without pk and sk', async () => {
      const { result } = await runTransition(claim('task-1', 1, NOW, 30, 'lease-1'), claimed);

      expect(result).to.deep.equal({ applied: true, task: claimed });
    });

    it('returns applied: false with the current state when a gate does not match', async () => {
      const current = taskState({ status: 'SUCCEEDED', attempts: 1 });
      ddb.on(UpdateItemCommand).rejects(conditionFailed(current));

      const result = await store.transition(claim('task-1', 1, NOW, 30, 'lease-1'));

      expect(result).to.deep.equal({ applied: false, current });
    });

    it('returns applied: false without a current state when the task does not exist', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());

      const result = await store.transition(claim('missing', 1, NOW, 30, 'lease-1'));

      expect(result).to.deep.equal({ applied: false, current: undefined });
    });

    it('rethrows errors other than a condition failure, such as throttling', async () => {
      const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      ddb.on(UpdateItemCommand).rejects(throttled);

      const error = await store.transition(claim('task-1', 1, NOW, 30, 'lease-1')).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.equal(throttled);
    });
  });

  describe('list', () => {
    const indexKey = (taskId: string, phase: string, phaseAt: string) => marshall({ pk: `TASK#${taskId}`, sk: 'STATE', phase, phaseAt });
    const summaryOf = (task: ReturnType<typeof taskState>) => {
      const { history: _h, payloadHash: _p, leaseId: _l, ...summary } = task;
      return summary;
    };

    it('queries the byPhase index newest first with the limit and one more (to know whether a page is the last), never scanning', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });

      await store.list('FAILED', { limit: 5 });

      const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
      expect(input).to.include({
        TableName: TABLE,
        IndexName: 'byPhase',
        KeyConditionExpression: 'phase = :phase',
        ScanIndexForward: false,
        Limit: 6,
      });
      expect(values(input)).to.deep.equal({ ':phase': 'FAILED#0' });
      expect(input.ExclusiveStartKey).to.equal(undefined);
    });

    it('reads the summaries of the listed tasks with BatchGetItem, in index order', async () => {
      const a = taskState({ taskId: 'a', status: 'FAILED', attempts: 3 });
      const b = taskState({ taskId: 'b', status: 'FAILED', attempts: 3 });
      ddb.on(QueryCommand).resolves({ Items: [indexKey('b', 'FAILED#0', 't2'), indexKey('a', 'FAILED#0', 't1')] });
      ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [stateItem(summaryOf(a)), stateItem(summaryOf(b))] } });

      const page = await store.list('FAILED', { limit: 5 });

      expect(page).to.deep.equal({ tasks: [summaryOf(b), summaryOf(a)] });
      const keys = ddb.commandCalls(BatchGetItemCommand)[0].args[0].input.RequestItems![TABLE].Keys!.map((k) => unmarshall(k));
      expect(keys).to.deep.equal([
        { pk: 'TASK#b', sk: 'STATE' },
        { pk: 'TASK#a', sk: 'STATE' },
      ]);
    });

    it('lists an unfinished status from the UNFINISHED phase, keeping only tasks in that status', async () => {
      const queued = taskState({ taskId: 'q', status: 'QUEUED' });
      const processing = taskState({ taskId: 'p', status: 'PROCESSING', attempts: 1 });
      ddb.on(QueryCommand).resolves({ Items: [indexKey('q', 'UNFINISHED#0', 't2'), indexKey('p', 'UNFINISHED#0', 't1')] });
      ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [stateItem(summaryOf(queued)), stateItem(summaryOf(processing))] } });

      const page = await store.list('PROCESSING', { limit: 5 });

      expect(values(ddb.commandCalls(QueryCommand)[0].args[0].input)).to.deep.equal({ ':phase': 'UNFINISHED#0' });
      expect(page.tasks.map((t) => t.taskId)).to.deep.equal(['p']);
    });

    it('asks again for keys BatchGetItem left unprocessed', async () => {
      const a = taskState({ taskId: 'a', status: 'FAILED' });
      ddb.on(QueryCommand).resolves({ Items: [indexKey('a', 'FAILED#0', 't1')] });
      ddb
        .on(BatchGetItemCommand)
        .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [marshall({ pk: 'TASK#a', sk: 'STATE' })] } } })
        .resolvesOnce({ Responses: { [TABLE]: [stateItem(summaryOf(a))] } });

      const page = await store.list('FAILED', { limit: 5 });

      expect(page.tasks.map((t) => t.taskId)).to.deep.equal(['a']);
      expect(ddb.commandCalls(BatchGetItemCommand)).to.have.length(2);
    });

    /** A first page of one FAILED task out of two, and its cursor. */
    async function firstPage() {
      const t9 = taskState({ taskId: 't9', status: 'FAILED' });
      const t8 = taskState({ taskId: 't8', status: 'FAILED' });
      ddb
        .on(QueryCommand)
        .resolvesOnce({
          Items: [indexKey('t9', 'FAILED#0', '2026-01-01T00:00:09.000Z'), indexKey('t8', 'FAILED#0', '2026-01-01T00:00:08.000Z')],
        })
        .resolves({ Items: [] });
      ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [stateItem(summaryOf(t9)), stateItem(summaryOf(t8))] } });
      return store.list('FAILED', { limit: 1 });
    }

    it('returns a cursor that, passed back, continues from where the page ended', async () => {
      const first = await firstPage();
      await store.list('FAILED', { limit: 1, cursor: first.cursor });

      expect(first.tasks.map((t) => t.taskId)).to.deep.equal(['t9']);
      expect(first.cursor).to.match(/^[A-Za-z0-9_-]+$/);
      expect(unmarshall(ddb.commandCalls(QueryCommand)[1].args[0].input.ExclusiveStartKey!)).to.deep.equal({
        pk: 'TASK#t9',
        sk: 'STATE',
        phase: 'FAILED#0',
        phaseAt: '2026-01-01T00:00:09.000Z',
      });
    });

    it('returns no cursor on a page that ends the listing', async () => {
      const t1 = taskState({ taskId: 't1', status: 'FAILED' });
      ddb.on(QueryCommand).resolves({ Items: [indexKey('t1', 'FAILED#0', 't1')] });
      ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [stateItem(summaryOf(t1))] } });

      expect(await store.list('FAILED', { limit: 1 })).to.deep.equal({ tasks: [summaryOf(t1)] });
    });

    it('refuses a cursor from a listing of another phase with a ValidationError', async () => {
      const { cursor } = await firstPage();

      const error = await store.list('SUCCEEDED', { limit: 1, cursor }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.be.instanceOf(ValidationError);
      expect(ddb.commandCalls(QueryCommand)).to.have.length(1);
    });

    it('refuses a cursor it did not issue with a ValidationError', async () => {
      const forged = Buffer.from(JSON.stringify({ pk: 'TASK#x', sk: 'PAYLOAD', phase: 'FAILED', phaseAt: 'x' })).toString('base64url');

      const errors = await Promise.all(
        ['not-base64-json', forged].map((cursor) =>
          store.list('FAILED', { limit: 1, cursor }).then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      );

      expect(errors.every((e) => e instanceof ValidationError)).to.equal(true);
      expect(ddb.commandCalls(QueryCommand)).to.have.length(0);
    });

    it('refuses the unsigned cursor of a key with an empty phaseAt (DynamoDB would answer a 500) without querying', async () => {
      // The cursor of the hardening report: base64url JSON of a key, no signature.
      const forged = 'eyJwaGFzZSI6IlNVQ0NFRURFRCIsInBoYXNlQXQiOiIiLCJzayI6IlNUQVRFIiwicGsiOiJUQVNLI3gifQ';

      const error = await store.list('SUCCEEDED', { limit: 1, cursor: forged }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.be.instanceOf(ValidationError);
      expect((error as ValidationError).details).to.deep.equal([{ field: 'cursor', problem: 'is not a cursor returned by this API' }]);
      expect(ddb.commandCalls(QueryCommand)).to.have.length(0);
    });

    it('refuses its own cursor with one character changed, and the cursor of a store with another key', async () => {
      const { cursor } = await firstPage();
      const altered = `${cursor!.slice(0, 5)}${cursor![5] === 'A' ? 'B' : 'A'}${cursor!.slice(6)}`;
      const otherStore = new DynamoTaskStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE, {
        ...OPTIONS,
        cursorKey: 'another-stage-cursor-key-0123',
      });

      const errors = await Promise.all([
        store.list('FAILED', { limit: 1, cursor: altered }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        otherStore.list('FAILED', { limit: 1, cursor }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      ]);

      expect(errors.map((e) => e instanceof ValidationError)).to.deep.equal([true, true]);
      expect(ddb.commandCalls(QueryCommand)).to.have.length(1);
    });
  });

  describe('listUnfinishedBefore', () => {
    it('queries UNFINISHED tasks that entered the phase before the cutoff, oldest first', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });

      await store.listUnfinishedBefore('2026-01-01T00:10:00.000Z', { shard: 0, limit: 100 });

      const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
      expect(input).to.include({
        IndexName: 'byPhase',
        KeyConditionExpression: 'phase = :phase AND phaseAt < :before',
        ScanIndexForward: true,
      });
      expect(values(input)).to.deep.equal({ ':phase': 'UNFINISHED#0', ':before': '2026-01-01T00:10:00.000Z' });
    });
  });

  describe('listUnfinishedBefore paging', () => {
    it('pages one shard with a cursor of its own, and refuses that cursor for another shard', async () => {
      const sharded = new DynamoTaskStore(ddbClient, TABLE, { ...OPTIONS, indexShards: 4 });
      const lastKey = marshall({ pk: 'TASK#t1', sk: 'STATE', phase: 'UNFINISHED#2', phaseAt: '2026-01-01T00:00:01.000Z' });
      ddb.on(QueryCommand).resolvesOnce({ Items: [], LastEvaluatedKey: lastKey }).resolves({ Items: [] });
      const before = '2026-01-01T00:10:00.000Z';

      const first = await sharded.listUnfinishedBefore(before, { shard: 2, limit: 100 });
      await sharded.listUnfinishedBefore(before, { shard: 2, limit: 100, cursor: first.cursor });
      const elsewhere = await sharded.listUnfinishedBefore(before, { shard: 3, limit: 100, cursor: first.cursor }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(ddb.commandCalls(QueryCommand)[1].args[0].input.ExclusiveStartKey).to.deep.equal(lastKey);
      expect(elsewhere).to.be.instanceOf(ValidationError);
      expect(ddb.commandCalls(QueryCommand)).to.have.length(2);
    });
  });

  describe('transition and the byPhase index', () => {
    it('moves the index keys only when a task finishes or is redriven', async () => {
      ddb.on(UpdateItemCommand).resolves({ Attributes: stateItem(taskState()) });
      const at = NOW.toISOString();

      await store.transition(claim('t', 1, NOW, 30, 'l'));
      await store.transition(succeed('t', 1, 'l', NOW));
      await store.transition(redrive('t', NOW));

      const [claimUpdate, successUpdate, redriveUpdate] = updates();
      expect(claimUpdate.UpdateExpression).not.to.contain('phase');
      expect(successUpdate.UpdateExpression).to.contain('phase = :phase, phaseAt = :at');
      expect(values(successUpdate)).to.include({ ':phase': 'SUCCEEDED#0', ':at': at });
      expect(values(redriveUpdate)).to.include({ ':phase': 'UNFINISHED#0' });
    });

    it('keys a task by its phase and its shard, the same shard in every phase', async () => {
      const sharded = new DynamoTaskStore(ddbClient, TABLE, { ...OPTIONS, indexShards: 16 });
      ddb.on(PutItemCommand).resolves({});
      ddb.on(UpdateItemCommand).resolves({ Attributes: stateItem(taskState()) });
      const shard = shardOf('order-42', 16);

      await sharded.create(taskState({ taskId: 'order-42' }), '{}');
      await sharded.transition(cancel('order-42', { status: 'QUEUED', attempts: 0 }, NOW));

      expect(unmarshall(puts()[1].Item!).phase).to.equal(`UNFINISHED#${shard}`);
      expect(values(updates()[0])).to.include({ ':phase': `CANCELLED#${shard}` });
    });

    it('takes a SUCCEEDED task out of the index when the stage does not index SUCCEEDED, and keeps indexing FAILED', async () => {
      const store2 = new DynamoTaskStore(ddbClient, TABLE, { ...OPTIONS, indexSucceeded: false });
      ddb.on(UpdateItemCommand).resolves({ Attributes: stateItem(taskState()) });

      await store2.transition(succeed('t', 1, 'l', NOW));
      await store2.transition(failRedriven('t', 1, ERROR, NOW));

      const [success, failure] = updates().map((u) => updateClauses(u.UpdateExpression!));
      expect(success.remove).to.include.members(['phase', 'phaseAt']);
      expect(success.set.join()).not.to.contain('phase');
      expect(failure.set).to.include.members(['phase = :phase', 'phaseAt = :at']);
    });

    it('answers a listing of SUCCEEDED with a ValidationError naming status when the stage does not index it, without querying', async () => {
      const store2 = new DynamoTaskStore(ddbClient, TABLE, { ...OPTIONS, indexSucceeded: false });

      const error = await store2.list('SUCCEEDED', { limit: 5 }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.be.instanceOf(ValidationError);
      expect((error as ValidationError).details).to.deep.equal([
        { field: 'status', problem: 'SUCCEEDED is not listed on this stage (its tasks are not indexed)' },
      ]);
      expect(ddb.commandCalls(QueryCommand)).to.have.length(0);
    });
  });

  describe('retention', () => {
    const DAY = 86400;
    let kept: DynamoTaskStore;
    beforeEach(() => {
      kept = new DynamoTaskStore(ddbClient, TABLE, { ...OPTIONS, retentionDays: 30 });
      ddb.on(UpdateItemCommand).resolves({ Attributes: stateItem(taskState()) });
      ddb.on(PutItemCommand).resolves({});
    });
    const epoch = (iso: string) => Date.parse(iso) / 1000;

    it('gives the payload item its expiry at submit: retention plus the longest a task can stay unfinished; the state item none', async () => {
      const task = taskState({ taskId: 'order-7' });

      await kept.create(task, '{"n":1}');

      expect(unmarshall(puts()[0].Item!).expiresAt).to.equal(epoch(task.createdAt) + 30 * DAY + OPTIONS.unfinishedLifetimeSeconds);
      expect(unmarshall(puts()[1].Item!)).not.to.have.property('expiresAt');
    });

    it('sets expiresAt in the very write that records SUCCEEDED, FAILED or CANCELLED, and in no other', async () => {
      await kept.transition(claim('t', 1, NOW, 30, 'l'));
      await kept.transition(scheduleRetry('t', 1, 'l', ERROR, NOW, 10));
      await kept.transition(succeed('t', 1, 'l', NOW));
      await kept.transition(failRedriven('t', 1, ERROR, NOW));
      await kept.transition(cancel('t', { status: 'QUEUED', attempts: 0 }, NOW));

      const [claimed, retried, ...finished] = updates();
      for (const u of [claimed, retried]) expect(u.UpdateExpression).not.to.contain('expiresAt');
      for (const u of finished) {
        expect(updateClauses(u.UpdateExpression!).set).to.include('#expiresAt = :expiresAt');
        expect(u.ExpressionAttributeNames).to.include({ '#expiresAt': 'expiresAt' });
        expect(values(u)[':expiresAt']).to.equal(epoch(NOW.toISOString()) + 30 * DAY);
      }
    });

    it('sets no expiry when retention is 0 (keep forever)', async () => {
      await store.create(taskState(), '{}');
      await store.transition(succeed('t', 1, 'l', NOW));

      expect(unmarshall(puts()[0].Item!)).not.to.have.property('expiresAt');
      expect(updates()[0].UpdateExpression).not.to.contain('expiresAt');
    });

    it('on a redrive removes the state item expiry, refuses an expired task and pushes the payload expiry out first', async () => {
      await kept.transition(redrive('t', NOW));

      const [payload, state] = updates();
      expect(unmarshall(payload.Key!)).to.deep.equal({ pk: 'TASK#t', sk: 'PAYLOAD' });
      expect(payload.UpdateExpression).to.equal('SET #expiresAt = :expiresAt');
      expect(values(payload)[':expiresAt']).to.equal(epoch(NOW.toISOString()) + 30 * DAY + OPTIONS.unfinishedLifetimeSeconds);
      expect(updateClauses(state.UpdateExpression!).remove).to.include('#expiresAt');
      expect(state.ConditionExpression!.endsWith(NOT_EXPIRED)).to.equal(true);
      expect(values(state)[':now']).to.equal(epoch(NOW.toISOString()));
    });

    it('treats an expired task that TTL has not deleted yet as gone: get, getPayload and a failed gate see nothing', async () => {
      const past = epoch(NOW.toISOString()) - 1;
      ddb.on(GetItemCommand).resolves({ Item: marshall({ ...unmarshall(stateItem(taskState({ status: 'FAILED' }))), expiresAt: past }) });
      ddb.on(UpdateItemCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: marshall({ ...unmarshall(stateItem(taskState({ status: 'FAILED' }))), expiresAt: past }),
        }),
      );

      expect(await kept.get('task-1')).to.equal(undefined);
      expect(await kept.getPayload('task-1')).to.equal(undefined);
      expect(await kept.transition(redrive('task-1', NOW))).to.deep.equal({ applied: false, current: undefined });
    });

    it('still returns a finished task before its expiry', async () => {
      const task = taskState({ status: 'FAILED' });
      ddb.on(GetItemCommand).resolves({ Item: marshall({ ...unmarshall(stateItem(task)), expiresAt: epoch(NOW.toISOString()) + 1 }) });

      expect(await kept.get(task.taskId)).to.deep.equal(task);
    });

    it('leaves expired tasks out of a listing and still fills the page', async () => {
      const tasks = ['a', 'b', 'c'].map((id) => taskState({ taskId: id, status: 'FAILED' }));
      const expiry = { a: 1, b: -1, c: 1 };
      ddb.on(QueryCommand).resolves({
        Items: tasks.map((t, i) =>
          marshall({ pk: `TASK#${t.taskId}`, sk: 'STATE', phase: 'FAILED#0', phaseAt: `2026-01-01T00:00:0${3 - i}.000Z` }),
        ),
      });
      ddb.on(BatchGetItemCommand).resolves({
        Responses: {
          [TABLE]: tasks.map(({ history: _h, payloadHash: _p, ...t }) =>
            marshall({ pk: `TASK#${t.taskId}`, ...t, expiresAt: epoch(NOW.toISOString()) + expiry[t.taskId as 'a'] }),
          ),
        },
      });

      const page = await kept.list('FAILED', { limit: 2 });

      expect(page.tasks.map((t) => t.taskId)).to.deep.equal(['a', 'c']);
      expect(page).not.to.have.property('cursor');
    });
  });
});
