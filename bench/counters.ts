/**
 * Counts every AWS request the pipeline makes, by caller, service, operation and detail,
 * with SDK middleware on the clients: lib/ code is unchanged and unaware of it.
 *
 * - DynamoDB: the middleware adds `ReturnConsumedCapacity: 'INDEXES'` to every command that
 *   accepts it and adds up the table's and each GSI's units separately (reads and writes by
 *   operation). AWS bills transactional reads and writes twice; whether the backend's
 *   ConsumedCapacity already shows that depends on its version (DynamoDB Local 2026-01-16 does,
 *   older notes say it did not), so probeTransactionDoubling asks it once and the counter doubles
 *   TransactWriteItems/TransactGetItems units only if the backend did not (the pipeline uses none today).
 *   A failed conditional write returns no ConsumedCapacity, yet AWS bills it "dependent on
 *   the size of the existing item (or a minimum of 1)": estimated from the ALL_OLD item the
 *   pipeline asks for, else 1, and kept apart as `estimatedWcu`.
 * - SQS: requests, and billed requests in 64 KB chunks (see sqsBilledRequests).
 * - Lambda and API Gateway are counted from the pipeline's side by the bench (recordInvocation,
 *   recordApiRequest); log bytes the handlers write are counted for CloudWatch Logs (recordLogBytes).
 */
import {
  DeleteItemCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type ConsumedCapacity,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { IndexWriteTrace } from './indexTrace';

export type Service = 'DynamoDB' | 'SQS';

/** Who issued a request: the user's code (handlers), Lambda's event source pollers, or the bench's ceiling workers. */
export type Caller = 'pipeline' | 'esm-poller' | 'ceiling';

export interface OpStats {
  caller: Caller;
  service: Service;
  operation: string;
  /** What the request was for, e.g. `UpdateItem -> PROCESSING`, `SendMessage DLQ`. */
  detail: string;
  calls: number;
  /** Calls that ended in an error (conditional failures included). */
  errors: number;
  conditionalFailures: number;
  /** Extra HTTP attempts the SDK made (retries); AWS bills each attempt that reaches it. */
  retries: number;
  // DynamoDB (request units; transactional ones already doubled)
  tableWcu: number;
  gsiWcu: Record<string, number>;
  tableRcu: number;
  gsiRcu: Record<string, number>;
  /** Write units of failed conditional writes, which the API does not report (estimated). */
  estimatedWcu: number;
  // SQS
  /** Requests as SQS bills them: one per started 64 KB chunk of payload. */
  billedRequests: number;
  payloadBytes: number;
  messages: number;
  emptyReceives: number;
}

export interface Invocation {
  functionKey: string;
  durationMs: number;
  records: number;
}

export interface UsageSnapshot {
  ops: OpStats[];
  invocations: Invocation[];
  apiRequests: Record<string, number>;
  logBytes: number;
  logLines: number;
  /** The pipeline's index writes by byPhase partition key (indexTrace.ts). */
  indexWrites: Record<string, number>;
}

/** SQS prices each 64 KB (65,536 bytes) chunk of a request's payload as one request (bench/prices.json's sqs.chunkBytes). */
export const SQS_CHUNK_BYTES = 64 * 1024;

/** DynamoDB operations that accept ReturnConsumedCapacity. */
const CAPACITY_OPS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'GetItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);
const READ_OPS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const TRANSACTION_OPS = new Set(['TransactGetItems', 'TransactWriteItems', 'ExecuteTransaction']);

export class UsageCounter {
  /** Whether the backend's ConsumedCapacity of transactions already includes AWS's 2x (probeTransactionDoubling). */
  backendDoublesTransactions = false;
  /** The payload chunk SQS bills as one request; the bench sets it from the price table. */
  sqsChunkBytes = SQS_CHUNK_BYTES;
  /** Which index partition key each of the pipeline's state writes touched. */
  readonly indexTrace = new IndexWriteTrace();
  private ops = new Map<string, OpStats>();
  private invocations: Invocation[] = [];
  private apiRequests: Record<string, number> = {};
  private logBytes = 0;
  private logLines = 0;

  row(caller: Caller, service: Service, operation: string, detail: string): OpStats {
    const key = `${caller}|${service}|${operation}|${detail}`;
    let stats = this.ops.get(key);
    if (!stats) {
      stats = {
        caller,
        service,
        operation,
        detail,
        calls: 0,
        errors: 0,
        conditionalFailures: 0,
        retries: 0,
        tableWcu: 0,
        gsiWcu: {},
        tableRcu: 0,
        gsiRcu: {},
        estimatedWcu: 0,
        billedRequests: 0,
        payloadBytes: 0,
        messages: 0,
        emptyReceives: 0,
      };
      this.ops.set(key, stats);
    }
    return stats;
  }

  recordInvocation(functionKey: string, durationMs: number, records: number): void {
    this.invocations.push({ functionKey, durationMs, records });
  }

  recordApiRequest(route: string): void {
    this.apiRequests[route] = (this.apiRequests[route] ?? 0) + 1;
  }

  recordLogBytes(bytes: number, lines: number): void {
    this.logBytes += bytes;
    this.logLines += lines;
  }

  reset(): void {
    this.ops.clear();
    this.invocations = [];
    this.apiRequests = {};
    this.logBytes = 0;
    this.logLines = 0;
    this.indexTrace.reset();
  }

  snapshot(): UsageSnapshot {
    return {
      ops: [...this.ops.values()].map((s) => ({ ...s, gsiWcu: { ...s.gsiWcu }, gsiRcu: { ...s.gsiRcu } })),
      invocations: [...this.invocations],
      apiRequests: { ...this.apiRequests },
      logBytes: this.logBytes,
      logLines: this.logLines,
      indexWrites: this.indexTrace.snapshot(),
    };
  }
}

// ---------------------------------------------------------------- DynamoDB

/** Size of an attribute value as DynamoDB counts it (docs: "Item sizes and formats"); an estimate for N. */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS) return value.NS.reduce((n, s) => n + attributeValueSize({ N: s }), 0);
  if (value.BS) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + attributeValueSize(v), 0);
  if (value.M) return 3 + itemSize(value.M) + Object.keys(value.M).length;
  return 0;
}

/** Size in bytes of an item: attribute names plus values. */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name, 'utf8') + attributeValueSize(value), 0);
}

// biome-ignore lint/suspicious/noExplicitAny: an SDK command input of any operation, read field by field.
function dynamoDetail(operation: string, input: Record<string, any>): string {
  switch (operation) {
    case 'PutItem':
      return `PutItem ${input.Item?.sk?.S ?? ''}`.trim();
    case 'UpdateItem': {
      const to = input.ExpressionAttributeValues?.[':to']?.S;
      return to ? `UpdateItem -> ${to}` : 'UpdateItem';
    }
    case 'GetItem':
      return `GetItem ${input.Key?.sk?.S ?? ''}`.trim();
    case 'Query':
      return `Query ${input.IndexName ?? 'table'}`;
    default:
      return operation;
  }
}

function addCapacity(stats: OpStats, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined, read: boolean, factor: number): void {
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const units = (u: { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined) =>
      u === undefined ? undefined : ((read ? u.ReadCapacityUnits : u.WriteCapacityUnits) ?? u.CapacityUnits ?? 0) * factor;
    const indexes = { ...(c.GlobalSecondaryIndexes ?? {}), ...(c.LocalSecondaryIndexes ?? {}) };
    // With INDEXES the table's own share is in `Table`; without it, everything counts as the table's.
    const table = units(c.Table) ?? (Object.keys(indexes).length === 0 ? (units(c) ?? 0) : 0);
    if (read) stats.tableRcu += table;
    else stats.tableWcu += table;
    for (const [name, capacity] of Object.entries(indexes)) {
      const target = read ? stats.gsiRcu : stats.gsiWcu;
      target[name] = (target[name] ?? 0) + (units(capacity) ?? 0);
    }
  }
}

/**
 * Writes one tiny, unindexed item in a transaction and reads the units reported: 1 means the
 * backend reports transactions as plain writes (the counter must double them), 2 that it
 * already applies AWS's factor. The probe item is deleted again.
 */
export async function probeTransactionDoubling(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const key = { pk: { S: 'BENCH#probe' }, sk: { S: 'PROBE' } };
  const { ConsumedCapacity } = await client.send(
    new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: tableName, Item: key } }], ReturnConsumedCapacity: 'TOTAL' }),
  );
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
  const units = (ConsumedCapacity ?? []).reduce((n, c) => n + (c.WriteCapacityUnits ?? c.CapacityUnits ?? 0), 0);
  if (units !== 1 && units !== 2)
    throw new Error(`a 1-unit transactional write was reported as ${units} units; cannot tell how the backend counts transactions`);
  return units === 2;
}

/** Adds the counting middleware to a DynamoDB client. */
export function instrumentDynamoDb(client: DynamoDBClient, counter: UsageCounter, caller: Caller): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      // biome-ignore lint/suspicious/noExplicitAny: an SDK command input of any operation, read field by field.
      const input = args.input as Record<string, any>;
      if (CAPACITY_OPS.has(operation)) input.ReturnConsumedCapacity = 'INDEXES';
      const stats = counter.row(caller, 'DynamoDB', operation, dynamoDetail(operation, input));
      stats.calls += 1;
      const read = READ_OPS.has(operation);
      const factor = TRANSACTION_OPS.has(operation) && !counter.backendDoublesTransactions ? 2 : 1;
      try {
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[]; $metadata?: { attempts?: number } };
        stats.retries += Math.max(0, (output.$metadata?.attempts ?? 1) - 1);
        addCapacity(stats, output.ConsumedCapacity, read, factor);
        if (caller === 'pipeline') counter.indexTrace.record(operation, input);
        return result;
      } catch (error) {
        stats.errors += 1;
        const e = error as {
          name?: string;
          Item?: Record<string, AttributeValue>;
          CancellationReasons?: unknown[];
          $metadata?: { attempts?: number };
        };
        stats.retries += Math.max(0, (e.$metadata?.attempts ?? 1) - 1);
        if (e.name === 'ConditionalCheckFailedException') {
          stats.conditionalFailures += 1;
          stats.estimatedWcu += e.Item ? Math.max(1, Math.ceil(itemSize(e.Item) / 1024)) : 1;
        } else if (e.name === 'TransactionCanceledException') {
          stats.conditionalFailures += 1;
          stats.estimatedWcu += 2 * Math.max(1, e.CancellationReasons?.length ?? 1);
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchUsageCounter', priority: 'high' },
  );
  return client;
}

// ---------------------------------------------------------------- SQS

/** Bytes of a message as SQS sizes it: the body plus each attribute's name, data type and value. */
export function sqsMessageBytes(body: string | undefined, attributes: Record<string, MessageAttributeValue> | undefined): number {
  let bytes = Buffer.byteLength(body ?? '', 'utf8');
  for (const [name, value] of Object.entries(attributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.byteLength;
  }
  return bytes;
}

/**
 * Requests SQS bills for one API call carrying `payloadBytes` of messages. The pricing page
 * (https://aws.amazon.com/sqs/pricing/) says: "Each 64 KB chunk of a payload is billed as 1
 * request (for example, an API action with a 256 KB payload is billed as 4 requests)", and
 * every action counts as a request. Our rule: a SendMessage(Batch) is billed by the bytes it
 * sends; a ReceiveMessage by the bytes it returns (a receive that returns two 64 KB
 * messages moves a 128 KB payload: 2+ requests); an empty receive, a delete or any other
 * call is 1 request. Message bytes are body plus attributes (sqsMessageBytes).
 */
export function sqsBilledRequests(payloadBytes: number, chunkBytes = SQS_CHUNK_BYTES): number {
  return Math.max(1, Math.ceil(payloadBytes / chunkBytes));
}

function queueRole(url: unknown): string {
  const name =
    String(url ?? '')
      .split('/')
      .pop() ?? '';
  return name.endsWith('-dlq') ? 'DLQ' : name ? 'task queue' : '?';
}

/** Adds the counting middleware to an SQS client. */
export function instrumentSqs(client: SQSClient, counter: UsageCounter, caller: Caller): SQSClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      // biome-ignore lint/suspicious/noExplicitAny: an SDK command input of any operation, read field by field.
      const input = args.input as Record<string, any>;
      const stats = counter.row(caller, 'SQS', operation, `${operation} ${queueRole(input.QueueUrl)}`);
      stats.calls += 1;
      let sent = 0;
      if (operation === 'SendMessage') {
        sent = sqsMessageBytes(input.MessageBody, input.MessageAttributes);
        stats.messages += 1;
      } else if (operation === 'SendMessageBatch') {
        for (const entry of input.Entries ?? []) sent += sqsMessageBytes(entry.MessageBody, entry.MessageAttributes);
        stats.messages += input.Entries?.length ?? 0;
      }
      try {
        const result = await next(args);
        const output = result.output as { Messages?: Message[]; $metadata?: { attempts?: number } };
        stats.retries += Math.max(0, (output.$metadata?.attempts ?? 1) - 1);
        let bytes = sent;
        if (operation === 'ReceiveMessage') {
          const messages = output.Messages ?? [];
          bytes = messages.reduce((n, m) => n + sqsMessageBytes(m.Body, m.MessageAttributes), 0);
          stats.messages += messages.length;
          if (messages.length === 0) stats.emptyReceives += 1;
        }
        stats.payloadBytes += bytes;
        stats.billedRequests += sqsBilledRequests(bytes, counter.sqsChunkBytes);
        return result;
      } catch (error) {
        stats.errors += 1;
        // An aborted long poll (a poller stopping) never reached a billable end; anything else did.
        if ((error as Error).name !== 'AbortError') stats.billedRequests += sqsBilledRequests(sent, counter.sqsChunkBytes);
        throw error;
      }
    },
    { step: 'initialize', name: 'benchUsageCounter', priority: 'high' },
  );
  return client;
}
