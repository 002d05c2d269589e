import { gunzipSync, gzipSync } from 'node:zlib';
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
   * for unfinished tasks, finished for SUCCEEDED and FAILED), from the byPhase index, never a
   * Scan. A page can hold fewer than `limit` tasks while a cursor remains.
   */
  list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage>;
  /** Unfinished tasks that entered their phase before `before` (ISO time), oldest first: the reconciler's candidates. */
  listUnfinishedBefore(before: string, options: { limit: number; cursor?: string }): Promise<TaskPage>;
}

/** Partition key of every item of a task. */
export const taskKey = (taskId: string) => `TASK#${taskId}`;
/** Sort key of the state item (status, attempts, history). */
export const STATE_SK = 'STATE';
/**
 * Global secondary index on (phase, phaseAt), keys only. `phase` is UNFINISHED until a task
 * ends, then SUCCEEDED or FAILED; `phaseAt` is when it entered that phase. The keys change
 * only when the phase does (twice per task), not on every transition, which keeps the
 * index's write cost to a third of a (status, updatedAt) index.
 */
export const PHASE_INDEX = 'byPhase';
export const UNFINISHED = 'UNFINISHED';
type Phase = typeof UNFINISHED | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** The index phase of a status. */
export const phaseOf = (status: TaskStatus): Phase => (status === 'SUCCEEDED' || status === 'FAILED' ? status : UNFINISHED);

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
const IndexKeySchema = z.object({ pk: z.string() });
/** A state item projected to a summary, with its pk to match it to the index's order. */
const SummaryItemSchema = TaskSummarySchema.extend({ pk: z.string() });

function encodeCursor(key: Record<string, AttributeValue>, cursorKey: string): string {
  return sealCursor(unmarshall(key), cursorKey);
}

/** The index key a cursor resumes from. Only cursors this API sealed open. */
function decodeCursor(cursor: string, phase: Phase, cursorKey: string): Record<string, AttributeValue> {
  const invalid = (problem: string) => new ValidationError(`cursor ${problem}`, [{ field: 'cursor', problem }]);
  const k = openCursor(cursor, cursorKey, CursorKeySchema);
  if (!k) throw invalid('is not a cursor returned by this API');
  if (k.phase !== phase) throw invalid(`belongs to a listing of another status`);
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
  /** `cursorKey` signs the listing cursors this store hands out (config.cursorSigningKey). */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly cursorKey: string,
  ) {}

  async create(task: TaskState, payloadJson: string): Promise<CreateResult> {
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
            },
            marshallOptions,
          ),
          // Same taskId, payload and type: the same task. A payload item from before types is of the default type.
          ConditionExpression:
            task.type === DEFAULT_TASK_TYPE
              ? 'attribute_not_exists(pk) OR (payloadHash = :hash AND (#type = :type OR attribute_not_exists(#type)))'
              : 'attribute_not_exists(pk) OR (payloadHash = :hash AND #type = :type)',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: marshall({ ':hash': task.payloadHash, ':type': task.type }),
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
              phase: phaseOf(task.status),
              phaseAt: task.createdAt,
            },
            marshallOptions,
          ),
          ConditionExpression: 'attribute_not_exists(pk)',
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
    return Item ? toState(Item) : undefined;
  }

  async getPayload(taskId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: taskKey(taskId), sk: PAYLOAD_SK }), ConsistentRead: true }),
    );
    return Item ? decodePayload(Item) : undefined;
  }

  async transition(t: Transition): Promise<TransitionResult> {
    const values: Record<string, unknown> = { ':to': t.to, ':at': t.at, ':event': [t.event] };
    const set = ['#status = :to', 'updatedAt = :at', 'history = list_append(history, :event)'];
    const remove: string[] = [];
    // The index keys move only when the phase does: on finishing, and on a redrive back to QUEUED.
    if (isTerminal(t.to) || t.to === 'QUEUED') {
      set.push('phase = :phase', 'phaseAt = :at');
      values[':phase'] = phaseOf(t.to);
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
    const condition = gateCondition(t.from, values);
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: taskKey(t.taskId), sk: STATE_SK }),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall(values, marshallOptions),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, task: toState(Attributes!) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { applied: false, current: error.Item ? toState(error.Item) : undefined };
      throw error;
    }
  }

  async list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    const phase = phaseOf(status);
    const page = await this.queryPhase(phase, undefined, false, options);
    return { ...page, tasks: page.tasks.filter((task) => task.status === status) };
  }

  listUnfinishedBefore(before: string, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    return this.queryPhase(UNFINISHED, before, true, options);
  }

  /** One page of the byPhase index, then the summaries of those tasks, in index order. */
  private async queryPhase(
    phase: Phase,
    before: string | undefined,
    oldestFirst: boolean,
    options: { limit: number; cursor?: string },
  ): Promise<TaskPage> {
    const { Items, LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: PHASE_INDEX,
        KeyConditionExpression: before ? 'phase = :phase AND phaseAt < :before' : 'phase = :phase',
        ExpressionAttributeValues: marshall(before ? { ':phase': phase, ':before': before } : { ':phase': phase }),
        ScanIndexForward: oldestFirst,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, phase, this.cursorKey) : undefined,
      }),
    );
    const keys = (Items ?? []).map((item) => readItem(IndexKeySchema, item).pk);
    const summaries = await this.summaries(keys);
    return {
      tasks: keys.flatMap((pk) => summaries.get(pk) ?? []),
      ...(LastEvaluatedKey ? { cursor: encodeCursor(LastEvaluatedKey, this.cursorKey) } : {}),
    };
  }

  /** The summaries of state items by pk (BatchGetItem, 100 keys a call, unprocessed keys retried). */
  private async summaries(pks: string[]): Promise<Map<string, TaskSummary>> {
    const found = new Map<string, TaskSummary>();
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
          const { pk, ...summary } = readItem(SummaryItemSchema, item);
          found.set(pk, summary);
        }
        keys = UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }
}
