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
import { claim, deadLetter, failRedriven, redrive, scheduleRetry, succeed, type Transition } from '../../../../lib/domain/stateMachine';
import type { TaskState } from '../../../../lib/domain/task';
import { DynamoTaskStore } from '../../../../lib/adapters/taskStore';
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

/**
 * The ConditionExpression's gate part: the terms of each OR-ed gate. A single gate is a
 * bare conjunction, several are parenthesised (DynamoDB rejects redundant parentheses).
 */
function gateTerms(condition: string): string[][] {
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

describe('DynamoTaskStore', () => {
  // Mock one client instance, never the class: a class-wide mock would also capture the
  // real clients of the integration suites that run in the same mocha process.
  let ddb: AwsClientStub<DynamoDBClient>;
  let store: DynamoTaskStore;

  beforeEach(() => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    ddb = mockClient(client);
    store = new DynamoTaskStore(client, TABLE, CURSOR_KEY);
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
        'attribute_not_exists(pk) OR (payloadHash = :hash AND (#type = :type OR attribute_not_exists(#type)))',
      );
      expect(values(payloadPut)).to.deep.equal({ ':hash': 'h1', ':type': 'simulated' });
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
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      // The default type is not stored: it is what an item without a type reads back as.
      const { type: _type, ...stored } = task;
      expect(unmarshall(statePut.Item!)).to.deep.equal({
        pk: 'TASK#order-7',
        sk: 'STATE',
        ...stored,
        phase: 'UNFINISHED',
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

    it('queries the byPhase index newest first with the limit, never scanning', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });

      await store.list('FAILED', { limit: 5 });

      const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
      expect(input).to.include({
        TableName: TABLE,
        IndexName: 'byPhase',
        KeyConditionExpression: 'phase = :phase',
        ScanIndexForward: false,
        Limit: 5,
      });
      expect(values(input)).to.deep.equal({ ':phase': 'FAILED' });
      expect(input.ExclusiveStartKey).to.equal(undefined);
    });

    it('reads the summaries of the listed tasks with BatchGetItem, in index order', async () => {
      const a = taskState({ taskId: 'a', status: 'FAILED', attempts: 3 });
      const b = taskState({ taskId: 'b', status: 'FAILED', attempts: 3 });
      ddb.on(QueryCommand).resolves({ Items: [indexKey('b', 'FAILED', 't2'), indexKey('a', 'FAILED', 't1')] });
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
      ddb.on(QueryCommand).resolves({ Items: [indexKey('q', 'UNFINISHED', 't2'), indexKey('p', 'UNFINISHED', 't1')] });
      ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [stateItem(summaryOf(queued)), stateItem(summaryOf(processing))] } });

      const page = await store.list('PROCESSING', { limit: 5 });

      expect(values(ddb.commandCalls(QueryCommand)[0].args[0].input)).to.deep.equal({ ':phase': 'UNFINISHED' });
      expect(page.tasks.map((t) => t.taskId)).to.deep.equal(['p']);
    });

    it('asks again for keys BatchGetItem left unprocessed', async () => {
      const a = taskState({ taskId: 'a', status: 'FAILED' });
      ddb.on(QueryCommand).resolves({ Items: [indexKey('a', 'FAILED', 't1')] });
      ddb
        .on(BatchGetItemCommand)
        .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [marshall({ pk: 'TASK#a', sk: 'STATE' })] } } })
        .resolvesOnce({ Responses: { [TABLE]: [stateItem(summaryOf(a))] } });

      const page = await store.list('FAILED', { limit: 5 });

      expect(page.tasks.map((t) => t.taskId)).to.deep.equal(['a']);
      expect(ddb.commandCalls(BatchGetItemCommand)).to.have.length(2);
    });

    it('returns a cursor that, passed back, continues from where the page ended', async () => {
      const lastKey = indexKey('t9', 'FAILED', '2026-01-01T00:00:09.000Z');
      ddb.on(QueryCommand).resolvesOnce({ Items: [], LastEvaluatedKey: lastKey }).resolvesOnce({ Items: [] });

      const first = await store.list('FAILED', { limit: 1 });
      await store.list('FAILED', { limit: 1, cursor: first.cursor });

      expect(first.cursor).to.match(/^[A-Za-z0-9_-]+$/);
      expect(ddb.commandCalls(QueryCommand)[1].args[0].input.ExclusiveStartKey).to.deep.equal(lastKey);
    });

    it('refuses a cursor from a listing of another phase with a ValidationError', async () => {
      ddb.on(QueryCommand).resolvesOnce({ Items: [], LastEvaluatedKey: indexKey('t9', 'FAILED', '2026-01-01T00:00:09.000Z') });
      const { cursor } = await store.list('FAILED', { limit: 1 });

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
      ddb.on(QueryCommand).resolvesOnce({ Items: [], LastEvaluatedKey: indexKey('t9', 'FAILED', '2026-01-01T00:00:09.000Z') });
      const { cursor } = await store.list('FAILED', { limit: 1 });
      const altered = `${cursor!.slice(0, 5)}${cursor![5] === 'A' ? 'B' : 'A'}${cursor!.slice(6)}`;
      const otherStore = new DynamoTaskStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE, 'another-stage-cursor-key-0123');

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

      await store.listUnfinishedBefore('2026-01-01T00:10:00.000Z', { limit: 100 });

      const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
      expect(input).to.include({
        IndexName: 'byPhase',
        KeyConditionExpression: 'phase = :phase AND phaseAt < :before',
        ScanIndexForward: true,
      });
      expect(values(input)).to.deep.equal({ ':phase': 'UNFINISHED', ':before': '2026-01-01T00:10:00.000Z' });
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
      expect(values(successUpdate)).to.include({ ':phase': 'SUCCEEDED', ':at': at });
      expect(values(redriveUpdate)).to.include({ ':phase': 'UNFINISHED' });
    });
  });
});
