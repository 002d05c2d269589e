import { DescribeTimeToLiveCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'chai';
import { createHandler as createGet } from '../../handlers/getTask';
import { createHandler as createList } from '../../handlers/listTasks';
import { reconcile } from '../../lib/app/reconcile';
import { loadConfig, type Config } from '../../lib/config';
import { DynamoTaskStore, EXPIRES_AT } from '../../lib/adapters/taskStore';
import { shardOf } from '../../lib/domain/shards';
import * as sm from '../../lib/domain/stateMachine';
import { storeOptions } from '../../lib/runtime';
import { startLocalServers, type LocalServers } from '../../devstack';
import { getTaskEvent, taskState } from '../helpers/factories';
import { testDeps } from '../helpers/fakes';

const SHARDS = 4;
const ERROR = { name: 'SimulatedFailure', message: 'boom' };
/** A day ago, to the second: every task is past the reconciler's grace, and none past its retention. */
const BASE = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
/** An instant `seconds` after BASE. */
const at = (seconds: number) => new Date(BASE + seconds * 1000);

describe('the sharded byPhase index on DynamoDB Local (listings, the reconciler, retention)', function () {
  this.timeout(60_000);
  let servers: LocalServers;
  let config: Config;
  let store: DynamoTaskStore;
  let run = 0;
  /** A fresh id prefix per test: the tests share one table. */
  let prefix: string;

  before(async function () {
    this.timeout(120_000);
    servers = await startLocalServers({ stage: 'test' });
    config = loadConfig({ ...servers.env, INDEX_SHARDS: String(SHARDS), RETENTION_DAYS: '30' });
    store = new DynamoTaskStore(servers.clients.dynamoDb, config.tableName, storeOptions(config));
  });

  after(async function () {
    this.timeout(30_000);
    await servers?.stop();
  });

  beforeEach(() => {
    run += 1;
    prefix = `r${run}-`;
  });

  /** Submits a task at `seconds`, as the submit use case records it. */
  async function submit(taskId: string, seconds: number) {
    const t = at(seconds).toISOString();
    await store.create(taskState({ taskId, createdAt: t, updatedAt: t, history: [{ type: 'QUEUED', at: t, attempt: 0 }] }), '{"n":1}');
  }

  /** Ends a QUEUED task FAILED at `seconds` (the RedrivePolicy path: one write). */
  const fail = (taskId: string, seconds: number) => store.transition(sm.failRedriven(taskId, 1, ERROR, at(seconds)));

  /** Every page of a listing of `status` through the real handler, following the cursor. */
  async function pages(status: string, limit: number, deps = { ...testDeps({ config }), store }) {
    const list = createList(() => deps);
    const all: string[][] = [];
    let cursor: string | null = null;
    do {
      const event = { ...getTaskEvent('x'), path: '/tasks', pathParameters: null };
      const res = await list({ ...event, queryStringParameters: { status, limit: String(limit), ...(cursor ? { cursor } : {}) } });
      expect(res.statusCode, res.body).to.equal(200);
      const body = JSON.parse(res.body) as { tasks: { taskId: string }[]; cursor: string | null };
      all.push(body.tasks.map((t) => t.taskId).filter((id) => id.startsWith(prefix)));
      cursor = body.cursor;
    } while (cursor);
    return all;
  }

  it('creates the table with TTL on expiresAt (DynamoDB Local accepts the specification)', async () => {
    const { TimeToLiveDescription } = await servers.clients.dynamoDb.send(new DescribeTimeToLiveCommand({ TableName: config.tableName }));

    expect(TimeToLiveDescription).to.include({ AttributeName: EXPIRES_AT, TimeToLiveStatus: 'ENABLED' });
  });

  it('lists FAILED tasks of every shard newest first in exact pages, the cursor resuming every shard where it stopped', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `${prefix}f${i}`);
    for (const [i, id] of ids.entries()) await submit(id, i);
    // Finished in an order unrelated to submission, so each shard's order differs from the ids'.
    const finishOrder = ids.map((id, i) => ({ id, second: 1000 + ((i * 7) % 23) }));
    for (const { id, second } of finishOrder) await fail(id, second);
    expect(new Set(ids.map((id) => shardOf(id, SHARDS))).size, 'tasks on every shard').to.equal(SHARDS);

    const listed = await pages('FAILED', 5);

    const newestFirst = [...finishOrder].sort((a, b) => b.second - a.second).map((f) => f.id);
    expect(listed.flat()).to.deep.equal(newestFirst);
    expect(listed.map((p) => p.length)).to.deep.equal([5, 5, 5, 5, 3]);
  });

  it('fills pages of an unfinished status from the shared UNFINISHED shards, skipping the tasks in other statuses', async () => {
    for (let i = 0; i < 17; i++) await submit(`${prefix}q${i}`, 2000 + i);
    // Every third task moves on to PROCESSING: still UNFINISHED in the index, not QUEUED.
    for (let i = 0; i < 17; i += 3) await store.transition(sm.claim(`${prefix}q${i}`, 1, at(2100), 30, 'lease'));

    const listed = await pages('QUEUED', 4);

    const queued = Array.from({ length: 17 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .reverse()
      .map((i) => `${prefix}q${i}`);
    expect(listed.flat()).to.deep.equal(queued);
    expect(listed.slice(0, -1).every((p) => p.length === 4)).to.equal(true);
  });

  it('re-sends the overdue tasks of every unfinished shard in one sweep', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `${prefix}s${i}`);
    for (const [i, id] of ids.entries()) await submit(id, 3000 + i);
    const deps = { ...testDeps({ config }), store, clock: () => new Date() };

    const report = await reconcile(deps, { graceSeconds: 60, maxPerStatus: 1000 });

    const resent = deps.queue.enqueued.map((e) => e.message.taskId).filter((id) => id.startsWith(prefix));
    expect(resent).to.have.members(ids);
    expect(new Set(ids.map((id) => shardOf(id, SHARDS))).size, 'tasks on every shard').to.equal(SHARDS);
    expect(report.errors).to.equal(0);
  });

  it('answers 404 for a finished task past its expiry that TTL has not deleted yet, and leaves it out of listings', async () => {
    for (const [i, id] of ['gone', 'kept'].entries()) {
      await submit(`${prefix}${id}`, 4000 + i);
      await fail(`${prefix}${id}`, 5000 + i);
    }
    // DynamoDB Local never deletes expired items: this one stays, with its expiry in the past.
    await servers.clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: config.tableName,
        Key: marshall({ pk: `TASK#${prefix}gone`, sk: 'STATE' }),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: marshall({ ':past': Math.floor(Date.now() / 1000) - 60 }),
      }),
    );
    const deps = { ...testDeps({ config }), store };

    const gone = await createGet(() => deps)(getTaskEvent(`${prefix}gone`));
    const kept = await createGet(() => deps)(getTaskEvent(`${prefix}kept`));

    expect(gone.statusCode).to.equal(404);
    expect(kept.statusCode).to.equal(200);
    expect((await pages('FAILED', 1)).flat()).to.deep.equal([`${prefix}kept`]);
  });

  it('sets the expiry in the write that finishes a task, and a redrive clears it and pushes the payload expiry out', async () => {
    const id = `${prefix}redriven`;
    await submit(id, 6000);
    const raw = async (sk: string) =>
      unmarshall(
        (
          await servers.clients.dynamoDb.send(
            new GetItemCommand({ TableName: config.tableName, Key: marshall({ pk: `TASK#${id}`, sk }), ConsistentRead: true }),
          )
        ).Item!,
      );
    const lifetime = storeOptions(config).unfinishedLifetimeSeconds;
    const epoch = (seconds: number) => Math.floor(at(seconds).getTime() / 1000);
    expect((await raw('PAYLOAD')).expiresAt).to.equal(epoch(6000) + 30 * 86400 + lifetime);
    expect(await raw('STATE')).not.to.have.property('expiresAt');

    await fail(id, 6010);
    expect((await raw('STATE')).expiresAt).to.equal(epoch(6010) + 30 * 86400);

    const redrive = await store.transition(sm.redrive(id, at(7000)));
    expect(redrive.applied).to.equal(true);
    expect(await raw('STATE')).not.to.have.property('expiresAt');
    expect((await raw('PAYLOAD')).expiresAt).to.equal(epoch(7000) + 30 * 86400 + lifetime);
  });

  it('takes a new submission of a taskId whose task expired as a new task', async () => {
    const id = `${prefix}again`;
    await submit(id, 8000);
    await fail(id, 8001);
    for (const sk of ['STATE', 'PAYLOAD'])
      await servers.clients.dynamoDb.send(
        new UpdateItemCommand({
          TableName: config.tableName,
          Key: marshall({ pk: `TASK#${id}`, sk }),
          UpdateExpression: 'SET expiresAt = :past',
          ExpressionAttributeValues: marshall({ ':past': Math.floor(Date.now() / 1000) - 60 }),
        }),
      );

    const t = new Date().toISOString();
    const again = await store.create(
      taskState({ taskId: id, payloadHash: 'other', createdAt: t, updatedAt: t, history: [{ type: 'QUEUED', at: t, attempt: 0 }] }),
      '{"n":2}',
    );

    expect(again.created).to.equal(true);
    expect(await store.get(id)).to.include({ status: 'QUEUED', payloadHash: 'other' });
    expect(await store.getPayload(id)).to.deep.equal({ n: 2 });
  });
});
