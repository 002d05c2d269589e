import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { TaskConflictError, ValidationError } from './errors';
import type { Gate, Transition, TransitionResult } from './stateMachine';
import type { TaskState, TaskStatus, TaskSummary } from './task';

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
  /** Tasks in a status, most recently updated first, from the byStatus index (never a Scan). */
  list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage>;
  /** Tasks in a status last updated before `before` (ISO time), oldest first, from the byStatus index. */
  listUpdatedBefore(status: TaskStatus, before: string, options: { limit: number; cursor?: string }): Promise<TaskPage>;
}

/** Partition key of every item of a task. */
export const taskKey = (taskId: string) => `TASK#${taskId}`;
/** Sort key of the state item (status, attempts, history). */
export const STATE_SK = 'STATE';
/** Global secondary index on (status, updatedAt): listings and the reconciler's overdue queries. */
export const STATUS_INDEX = 'byStatus';
/** Sort key of the payload item, written once per task so transitions do not pay for it. */
export const PAYLOAD_SK = 'PAYLOAD';

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

function toState(item: Record<string, AttributeValue>): TaskState {
  const { pk: _pk, sk: _sk, ...rest } = unmarshall(item);
  return rest as TaskState;
}

function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(unmarshall(key))).toString('base64url');
}

function decodeCursor(cursor: string, status: TaskStatus): Record<string, AttributeValue> {
  const invalid = (problem: string) => new ValidationError(`cursor ${problem}`, [{ field: 'cursor', problem }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor returned by this API');
  }
  const k = key as Record<string, unknown>;
  if (!k || typeof k !== 'object' || typeof k.pk !== 'string' || k.sk !== STATE_SK || typeof k.updatedAt !== 'string') {
    throw invalid('is not a cursor returned by this API');
  }
  if (k.status !== status) throw invalid(`belongs to a listing of status ${String(k.status)}, not ${status}`);
  return marshall({ pk: k.pk, sk: k.sk, status: k.status, updatedAt: k.updatedAt });
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

/** TaskStore on one DynamoDB table (pk/sk), one state item and one payload item per task. */
export class DynamoTaskStore implements TaskStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async create(task: TaskState, payloadJson: string): Promise<CreateResult> {
    // Payload first: a task's state item never exists without its payload, so it can always be re-enqueued.
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ pk: taskKey(task.taskId), sk: PAYLOAD_SK, taskId: task.taskId, payloadHash: task.payloadHash, payload: payloadJson }, marshallOptions),
          ConditionExpression: 'attribute_not_exists(pk) OR payloadHash = :hash',
          ExpressionAttributeValues: marshall({ ':hash': task.payloadHash }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TaskConflictError(task.taskId);
      throw error;
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ pk: taskKey(task.taskId), sk: STATE_SK, ...task }, marshallOptions),
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
    return Item ? (JSON.parse(unmarshall(Item).payload as string) as Record<string, unknown>) : undefined;
  }

  async transition(t: Transition): Promise<TransitionResult> {
    const values: Record<string, unknown> = { ':to': t.to, ':at': t.at, ':event': [t.event] };
    const set = ['#status = :to', 'updatedAt = :at', 'history = list_append(history, :event)'];
    const remove: string[] = [];
    if (t.attempts !== undefined) {
      set.push('attempts = :attempts');
      values[':attempts'] = t.attempts;
    }
    if (t.lastError !== undefined) {
      set.push('lastError = :lastError');
      values[':lastError'] = t.lastError;
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
      if (error instanceof ConditionalCheckFailedException) return { applied: false, current: error.Item ? toState(error.Item) : undefined };
      throw error;
    }
  }

  list(status: TaskStatus, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    return this.queryIndex(status, undefined, false, options);
  }

  listUpdatedBefore(status: TaskStatus, before: string, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    return this.queryIndex(status, before, true, options);
  }

  private async queryIndex(status: TaskStatus, before: string | undefined, oldestFirst: boolean, options: { limit: number; cursor?: string }): Promise<TaskPage> {
    const { Items, LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: STATUS_INDEX,
        KeyConditionExpression: before ? '#status = :status AND updatedAt < :before' : '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall(before ? { ':status': status, ':before': before } : { ':status': status }),
        ScanIndexForward: oldestFirst,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, status) : undefined,
      }),
    );
    return {
      tasks: (Items ?? []).map((item) => toState(item) as unknown as TaskSummary),
      ...(LastEvaluatedKey ? { cursor: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }
}
