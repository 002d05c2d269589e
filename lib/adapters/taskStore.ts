import { deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { openCursor, sealCursor } from '../domain/cursor';
import { TaskConflictError, ValidationError } from '../domain/errors';
import { isJsonObject } from '../domain/json';
import { expiryAfter, isExpired } from '../domain/retention';
import { mergeShards, shardKey, shardOf, type ShardPosition } from '../domain/shards';
import type { Gate, Transition, TransitionResult } from '../domain/stateMachine';
import {
  DEFAULT_TASK_TYPE,
  isTerminal,
  TaskStateSchema,
  TaskSummarySchema,
  type TaskState,
  type TaskStatus,
  type TaskSummary,
} from '../domain/task';

export interface TaskPage {
  tasks: TaskSummary[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  cursor?: string;
}

export type CreateResult = { created: true; task: TaskState } | { created: false; task: TaskState };

/** Persistence of tasks: the state machine's only door to storage. */
export interface TaskStore {
  /** Records a new task and its payload; returns the existing task for a same-payload resubmission. Throws TaskConflictError for a different payload. */
  create(task: TaskState, payloadJson: string): Promise<CreateResult>;
  /** The task's state item (strongly consistent), or undefined. */
  get(taskId: string): Promise<TaskState | undefined>;
  /** The task's payload as submitted, or undefined. */
  getPayload(taskId: string): Promise<Record<string, unknown> | undefined>;
  /** Applies a transition with its audit event in one conditional write. */
  transition(t: Transition): Promise<TransitionResult>;
  /**
   * Tasks in a status, newest first (by when they entered their phase: submitted or redriven
   * for unfinished tasks, finished for SUCCEEDED, FAILED and CANCELLED), from every shard of the
   * byPhase index, never a Scan. A page holds exactly `limit` tasks while more remain; expired
   * tasks are left out. ValidationError (status) for SUCCEEDED when the stage does not index it.
   */
  list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage>;
  /**
   * Unfinished tasks of one index shard (0 to `indexShards` - 1) that entered their phase before
   * `before` (ISO time), oldest first: the reconciler's candidates. A page can be short.
   */
  listUnfinishedBefore(before: string, options: { shard: number; limit: number; cursor?: string }): Promise<TaskPage>;
}

/** How a store keys its index and how long it keeps tasks (lib/runtime.ts derives them from the configuration). */
export interface TaskStoreOptions {
  /** Signs the listing cursors this store hands out (config.cursorSigningKey). */
  cursorKey: string;
  /** Shards of each phase's index partition key. Raising it is safe; lowering it hides the tasks in the shards dropped. */
  indexShards: number;
  /** Days a finished task is kept before DynamoDB's TTL deletes it; 0 keeps it forever. */
  retentionDays: number;
  /** The longest a task can stay unfinished: the payload item's expiry is past the state item's by this much. */
  unfinishedLifetimeSeconds: number;
  /** false leaves SUCCEEDED tasks out of the index (one index write less per task; they cannot be listed). */
  indexSucceeded: boolean;
  /** Now, for the expiry of what is read (the real clock unless a test freezes it). */
  clock?: () => Date;
}

/** Partition key of every item of a task. */
export const taskKey = (taskId: string) => `TASK#${taskId}`;
/** Sort key of the state item (status, attempts, history). */
export const STATE_SK = 'STATE';
/**
 * Global secondary index on (phase, phaseAt), keys only. `phase` is `<phase>#<shard>`: the
 * phase is UNFINISHED until a task ends, then SUCCEEDED, FAILED or CANCELLED, and the shard
 * (shardOf its taskId) spreads each phase's writes over `indexShards` partitions; `phaseAt` is
 * when it entered that phase. The keys change only when the phase does (twice per task), not on
 * every transition, which keeps the index's write cost to a third of a (status, updatedAt) index.
 */
export const PHASE_INDEX = 'byPhase';
export const UNFINISHED = 'UNFINISHED';
type Phase = typeof UNFINISHED | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** The index phase of a status. */
export const phaseOf = (status: TaskStatus): Phase =>
  status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED' ? status : UNFINISHED;

/** The TTL attribute (epoch seconds) of both items of a finished task; infra/data.yml turns TTL on for it. */
export const EXPIRES_AT = 'expiresAt';

/** What a listing reads of each state item. */
const SUMMARY_ATTRIBUTES = [
  'taskId',
  'type',
  'status',
  'attempts',
  'maxAttempts',
  'createdAt',
  'updatedAt',
  'lastError',
  'nextAttemptAt',
  'leaseUntil',
  'correlationId',
  EXPIRES_AT,
] as const;
/** Sort key of the payload item, written once per task so transitions do not pay for it. */
export const PAYLOAD_SK = 'PAYLOAD';

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/** An item read back, checked against the schema of what this store writes (keys and index attributes are dropped). */
function readItem<T>(schema: z.ZodType<T>, item: Record<string, AttributeValue>): T {
  const result = schema.safeParse(unmarshall(item));
  if (!result.success) throw new Error(`a tasks table item does not have the shape this store writes: ${z.prettifyError(result.error)}`);
  return result.data;
}

const toState = (item: Record<string, AttributeValue>): TaskState => readItem(TaskStateSchema, item);

/** The payload as stored: gzip when that is smaller (it is written once, and billed per KB). */
function encodePayload(payloadJson: string): { payload: string } | { payloadGzip: Uint8Array } {
  const zipped = gzipSync(payloadJson);
  return zipped.length < Buffer.byteLength(payloadJson) ? { payloadGzip: zipped } : { payload: payloadJson };
}

/** The payload item: the JSON text, or its gzip. */
const PayloadItemSchema = z.union([z.object({ payloadGzip: z.instanceof(Uint8Array) }), z.object({ payload: z.string() })]);
const PayloadSchema = z.custom<Record<string, unknown>>(isJsonObject, 'the stored payload is not a JSON object');

function decodePayload(item: Record<string, AttributeValue>): Record<string, unknown> {
  const stored = readItem(PayloadItemSchema, item);
  const json = 'payloadGzip' in stored ? gunzipSync(stored.payloadGzip).toString('utf8') : stored.payload;
  return PayloadSchema.parse(JSON.parse(json));
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TASK_PK = /^TASK#[A-Za-z0-9_.:-]{1,128}$/;

/** The byPhase key a cursor holds. Its values are checked again (no empty or foreign key reaches DynamoDB, which answers those with a 500). */
const CursorKeySchema = z.object({
  pk: z.string().regex(TASK_PK),
  sk: z.literal(STATE_SK),
  phase: z.string(),
  phaseAt: z.string().regex(ISO_TIME),
});

/** A key the byPhase index returns (keys only: pk, sk, phase, phaseAt). */
const IndexKeySchema = z.object({ pk: z.string(), phaseAt: z.string() });
type IndexEntry = z.infer<typeof IndexKeySchema>;
/** A state item projected to a summary, with its pk to match it to the index's order and its expiry. */
const SummaryItemSchema = TaskSummarySchema.extend({ pk: z.string(), expiresAt: z.number().optional() });
/** The TTL attribute of an item read back. */
const ExpirySchema = z.object({ expiresAt: z.number().optional() });
const expiryOf = (item: Record<string, AttributeValue>) => readItem(ExpirySchema, item).expiresAt;

/** One shard's place in a listing cursor: 0 from its start, 1 read to its end, else after [pk, phaseAt]. */
const ShardPlaceSchema = z.union([z.literal(0), z.literal(1), z.tuple([z.string().regex(TASK_PK), z.string().regex(ISO_TIME)])]);
type ShardPlace = z.infer<typeof ShardPlaceSchema>;

/**
 * What a listing cursor seals: the phase and every shard's place, deflated (a page's places
 * share most of their characters), so the cursor stays short at 16 shards and fits a URL at 256.
 */
const ListCursorSchema = z.object({
  phase: z.string(),
  shards: z
    .string()
    .transform((packed) => JSON.parse(inflateRawSync(Buffer.from(packed, 'base64url')).toString('utf8')) as unknown)
    .pipe(z.array(ShardPlaceSchema)),
});

const toPlace = (p: ShardPosition<IndexEntry>): ShardPlace => (p === 'start' ? 0 : p === 'done' ? 1 : [p.after.pk, p.after.phaseAt]);
const fromPlace = (p: ShardPlace): ShardPosition<IndexEntry> =>
  p === 0 ? 'start' : p === 1 ? 'done' : { after: { pk: p[0], phaseAt: p[1] } };

/** Seals every shard's position of a merged listing of `phase` into one cursor. */
export function encodeListCursor(phase: string, positions: ShardPosition<IndexEntry>[], cursorKey: string): string {
  const shards = deflateRawSync(JSON.stringify(positions.map(toPlace))).toString('base64url');
  return sealCursor({ phase, shards }, cursorKey);
}

const invalidCursor = (problem: string) => new ValidationError(`cursor ${problem}`, [{ field: 'cursor', problem }]);

/** Every shard's position a cursor of this API holds for a listing of `phase` over `shards` shards. */
export function decodeListCursor(cursor: string, phase: string, shards: number, cursorKey: string): ShardPosition<IndexEntry>[] {
  const c = openCursor(cursor, cursorKey, ListCursorSchema);
  if (!c || c.shards.length !== shards) throw invalidCursor('is not a cursor returned by this API');
  if (c.phase !== phase) throw invalidCursor('belongs to a listing of another status');
  return c.shards.map(fromPlace);
}

/** Newest first, by when each task entered its phase. */
const newestFirst = (a: IndexEntry, b: IndexEntry) => (a.phaseAt > b.phaseAt ? -1 : a.phaseAt < b.phaseAt ? 1 : 0);

function encodeCursor(key: Record<string, AttributeValue>, cursorKey: string): string {
  return sealCursor(unmarshall(key), cursorKey);
}

/** The index key a cursor of one shard's listing resumes from. Only cursors this API sealed open. */
function decodeCursor(cursor: string, phase: string, cursorKey: string): Record<string, AttributeValue> {
  const k = openCursor(cursor, cursorKey, CursorKeySchema);
  if (!k) throw invalidCursor('is not a cursor returned by this API');
  if (k.phase !== phase) throw invalidCursor('belongs to a listing of another status');
  return marshall(k);
}

/**
 * Compiles gates into a condition expression; the in-memory twin is matchesGate.
 * DynamoDB rejects redundant parentheses, so a single gate is a bare conjunction.
 */
function gateCondition(gates: Gate[], values: Record<string, unknown>): string {
  const conjunctions = gates.map((gate, i) => {
    const terms = [`#status = :g${i}status`];
    values[`:g${i}status`] = gate.status;
    if (gate.attempts !== undefined) {
      terms.push(`attempts = :g${i}attempts`);
      values[`:g${i}attempts`] = gate.attempts;
    }
    if (gate.leaseId !== undefined) {
      terms.push(`leaseId = :g${i}leaseId`);
      values[`:g${i}leaseId`] = gate.leaseId;
    }
    if (gate.leaseExpiredBefore !== undefined) {
      terms.push(`leaseUntil < :g${i}leaseExpiredBefore`);
      values[`:g${i}leaseExpiredBefore`] = gate.leaseExpiredBefore;
    }
    return terms.join(' AND ');
  });
  if (conjunctions.length === 1) return `attribute_exists(pk) AND ${conjunctions[0]}`;
  return `attribute_exists(pk) AND (${conjunctions.map((c) => `(${c})`).join(' OR ')})`;
}

/**
 * The type attribute as stored: none for the default type, which reads back as the default. Every
 * state write rewrites the item, so the bytes saved on the default type's items are saved on each
 * transition (write units are billed per started KB).
 */
const storedType = (type: string): { type?: string } => (type === DEFAULT_TASK_TYPE ? { type: undefined } : { type });

/** TaskStore on one DynamoDB table (pk/sk), one state item and one payload item per task. */
export class DynamoTaskStore implements TaskStore {
  private readonly clock: () => Date;
  private readonly retentionSeconds: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: TaskStoreOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.retentionSeconds = options.retentionDays * 86400;
  }

  /** The index partition key of a task in a phase. */
  private phaseKey(phase: Phase, taskId: string): string {
    return shardKey(phase, shardOf(taskId, this.options.indexShards));
  }

  /** The payload item's expiry when the task entered QUEUED at `at`: past any finish plus retention. */
  private payloadExpiry(at: string): { expiresAt?: number } {
    return this.retentionSeconds > 0 ? { expiresAt: expiryAfter(at, this.retentionSeconds + this.options.unfinishedLifetimeSeconds) } : {};
  }

  async create(task: TaskState, payloadJson: string): Promise<CreateResult> {
    // An expired item (TTL deletes within days, not at once) counts as absent, as it does for reads.
    const now = expiryAfter(task.createdAt, 0);
    // Payload first: a task's state item never exists without its payload, so it can always be re-enqueued.
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(
            {
              pk: taskKey(task.taskId),
              sk: PAYLOAD_SK,
              payloadHash: task.payloadHash,
              ...storedType(task.type),
              ...encodePayload(payloadJson),
              ...this.payloadExpiry(task.createdAt),
            },
            marshallOptions,
          ),
          // Same taskId, payload and type: the same task. A payload item from before types is of the default type.
          ConditionExpression:
            task.type === DEFAULT_TASK_TYPE
              ? 'attribute_not_exists(pk) OR #expiresAt <= :now OR (payloadHash = :hash AND (#type = :type OR attribute_not_exists(#type)))'
              : 'attribute_not_exists(pk) OR #expiresAt <= :now OR (payloadHash = :hash AND #type = :type)',
          ExpressionAttributeNames: { '#type': 'type', '#expiresAt': EXPIRES_AT },
          ExpressionAttributeValues: marshall({ ':hash': task.payloadHash, ':type': task.type, ':now': now }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const existingType = error.Item?.type?.S ?? DEFAULT_TASK_TYPE;
        const samePayload = error.Item?.payloadHash?.S === task.payloadHash;
        throw new TaskConflictError(task.taskId, samePayload && existingType !== task.type ? existingType : undefined);
      }
      throw error;
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(
            {
              pk: taskKey(task.taskId),
              sk: STATE_SK,
              ...task,
              ...storedType(task.type),
              phase: this.phaseKey(phaseOf(task.status), task.taskId),
              phaseAt: task.createdAt,
            },
            marshallOptions,
          ),
          ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
          ExpressionAttributeNames: { '#expiresAt': EXPIRES_AT },
          ExpressionAttributeValues: marshall({ ':now': now }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true, task };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item) return { created: false, task: toState(error.Item) };
      throw error;
    }
  }

  async get(taskId: string): Promise<TaskState | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: taskKey(taskId), sk: STATE_SK }), ConsistentRead: true }),
    );
    return Item && !isExpired(expiryOf(Item), this.clock()) ? toState(Item) : undefined;
  }

  async getPayload(taskId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: taskKey(taskId), sk: PAYLOAD_SK }), ConsistentRead: true }),
    );
    return Item && !isExpired(expiryOf(Item), this.clock()) ? decodePayload(Item) : undefined;
  }

  async transition(t: Transition): Promise<TransitionResult> {
    const values: Record<string, unknown> = { ':to': t.to, ':at': t.at, ':event': [t.event] };
    const names: Record<string, string> = { '#status': 'status' };
    const set = ['#status = :to', 'updatedAt = :at', 'history = list_append(history, :event)'];
    const remove: string[] = [];
    const redrive = t.to === 'QUEUED';
    // The index keys move only when the phase does: on finishing, and on a redrive back to QUEUED.
    if (t.to === 'SUCCEEDED' && !this.options.indexSucceeded) {
      // Leaves the (sparse) index: one index delete instead of a delete and a put.
      remove.push('phase', 'phaseAt');
    } else if (isTerminal(t.to) || redrive) {
      set.push('phase = :phase', 'phaseAt = :at');
      values[':phase'] = this.phaseKey(phaseOf(t.to), t.taskId);
    }
    // The expiry rides on the write that finishes the task; a redrive takes it away again.
    if (this.retentionSeconds > 0 && isTerminal(t.to)) {
      set.push('#expiresAt = :expiresAt');
      values[':expiresAt'] = expiryAfter(t.at, this.retentionSeconds);
      names['#expiresAt'] = EXPIRES_AT;
    } else if (redrive) {
      remove.push('#expiresAt');
      names['#expiresAt'] = EXPIRES_AT;
    }
    if (t.attempts !== undefined) {
      set.push('attempts = :attempts');
      values[':attempts'] = t.attempts;
    }
    if (t.lastError !== undefined) {
      set.push('lastError = :lastError');
      values[':lastError'] = t.lastError;
    }
    if (t.resultJson !== undefined) {
      set.push('resultJson = :resultJson');
      values[':resultJson'] = t.resultJson;
    }
    if (t.lease) {
      set.push('leaseId = :leaseId', 'leaseUntil = :leaseUntil');
      values[':leaseId'] = t.lease.id;
      values[':leaseUntil'] = t.lease.until;
    } else remove.push('leaseId', 'leaseUntil');
    if (t.nextAttemptAt !== undefined) {
      set.push('nextAttemptAt = :nextAttemptAt');
      values[':nextAttemptAt'] = t.nextAttemptAt;
    } else remove.push('nextAttemptAt');
    let condition = gateCondition(t.from, values);
    if (redrive) {
      // An expired task is gone, even before TTL deletes it: it cannot be redriven.
      condition += ' AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)';
      values[':now'] = expiryAfter(t.at, 0);
      // A redriven task lives again: its payload must outlive it as at submit (rare: one write more).
      if (this.retentionSeconds > 0) await this.extendPayload(t.taskId, t.at);
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: taskKey(t.taskId), sk: STATE_SK }),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, marshallOptions),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, task: toState(Attributes!) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = error.Item && !isExpired(expiryOf(error.Item), new Date(t.at)) ? toState(error.Item) : undefined;
        return { applied: false, current };
      }
      throw error;
    }
  }

  /** Pushes the payload item's expiry out as if the task were submitted at `at`. */
  private async extendPayload(taskId: string, at: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: taskKey(taskId), sk: PAYLOAD_SK }),
          UpdateExpression: 'SET #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#expiresAt': EXPIRES_AT },
          ExpressionAttributeValues: marshall({ ':expiresAt': this.payloadExpiry(at).expiresAt }),
        }),
      );
    } catch (error) {
      // No payload: the redrive's own read has already answered 404.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    if (status === 'SUCCEEDED' && !this.options.indexSucceeded)
      throw new ValidationError('status SUCCEEDED is not listed on this stage', [
        { field: 'status', problem: 'SUCCEEDED is not listed on this stage (its tasks are not indexed)' },
      ]);
    const phase = phaseOf(status);
    const shards = this.options.indexShards;
    const now = this.clock();
    const page = await mergeShards<IndexEntry, TaskSummary>({
      positions: options.cursor
        ? decodeListCursor(options.cursor, phase, shards, this.options.cursorKey)
        : Array.from({ length: shards }, () => 'start' as const),
      limit: options.limit,
      compare: newestFirst,
      read: async (shard, after, limit) => {
        const key = shardKey(phase, shard);
        const { entries, lastKey } = await this.queryShard(key, { newestFirst: true, limit, after });
        return { entries, done: !lastKey };
      },
      resolve: async (entries) => {
        const summaries = await this.summaries(entries.map((e) => e.pk));
        return entries.map(({ pk }) => {
          const found = summaries.get(pk);
          return found && found.task.status === status && !isExpired(found.expiresAt, now) ? found.task : undefined;
        });
      },
    });
    return {
      tasks: page.items,
      ...(page.positions ? { cursor: encodeListCursor(phase, page.positions, this.options.cursorKey) } : {}),
    };
  }

  async listUnfinishedBefore(before: string, options: { shard: number; limit: number; cursor?: string }): Promise<TaskPage> {
    const key = shardKey(UNFINISHED, options.shard);
    const { entries, lastKey } = await this.queryShard(key, {
      newestFirst: false,
      limit: options.limit,
      before,
      startKey: options.cursor ? decodeCursor(options.cursor, key, this.options.cursorKey) : undefined,
    });
    const summaries = await this.summaries(entries.map((e) => e.pk));
    return {
      tasks: entries.flatMap(({ pk }) => summaries.get(pk)?.task ?? []),
      ...(lastKey ? { cursor: encodeCursor(lastKey, this.options.cursorKey) } : {}),
    };
  }

  /** One page of one index partition key, in index order. */
  private async queryShard(
    phaseKey: string,
    q: { newestFirst: boolean; limit: number; before?: string; after?: IndexEntry; startKey?: Record<string, AttributeValue> },
  ): Promise<{ entries: IndexEntry[]; lastKey?: Record<string, AttributeValue> }> {
    const { Items, LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: PHASE_INDEX,
        KeyConditionExpression: q.before ? 'phase = :phase AND phaseAt < :before' : 'phase = :phase',
        ExpressionAttributeValues: marshall(q.before ? { ':phase': phaseKey, ':before': q.before } : { ':phase': phaseKey }),
        ScanIndexForward: !q.newestFirst,
        Limit: q.limit,
        ExclusiveStartKey: q.after ? marshall({ pk: q.after.pk, sk: STATE_SK, phase: phaseKey, phaseAt: q.after.phaseAt }) : q.startKey,
      }),
    );
    return { entries: (Items ?? []).map((item) => readItem(IndexKeySchema, item)), lastKey: LastEvaluatedKey };
  }

  /** The summaries (and expiry) of state items by pk (BatchGetItem, 100 keys a call, unprocessed keys retried). */
  private async summaries(pks: string[]): Promise<Map<string, { task: TaskSummary; expiresAt?: number }>> {
    const found = new Map<string, { task: TaskSummary; expiresAt?: number }>();
    const names = Object.fromEntries(SUMMARY_ATTRIBUTES.map((name, i) => [`#a${i}`, name]));
    const projection = [...Object.keys(names), 'pk'].join(', ');
    for (let i = 0; i < pks.length; i += 100) {
      let keys: Record<string, AttributeValue>[] | undefined = pks.slice(i, i + 100).map((pk) => marshall({ pk, sk: STATE_SK }));
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const {
          Responses,
          UnprocessedKeys,
        }: {
          Responses?: Record<string, Record<string, AttributeValue>[]>;
          UnprocessedKeys?: Record<string, { Keys?: Record<string, AttributeValue>[] }>;
        } = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: keys, ProjectionExpression: projection, ExpressionAttributeNames: names } },
          }),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const { pk, expiresAt, ...task } = readItem(SummaryItemSchema, item);
          found.set(pk, { task, expiresAt });
        }
        keys = UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }
}
