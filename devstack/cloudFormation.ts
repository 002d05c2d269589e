import type { CreateTableCommandInput, TimeToLiveSpecification } from '@aws-sdk/client-dynamodb';
import type { CfnResource } from './serverlessConfig';
import { LocalStackError } from './processes';

/** What `Ref` and `Fn::GetAtt` return for each logical id once the local resources exist. */
export type Attributes = Record<string, { Ref: string } & Record<string, string>>;

/** The logical id an intrinsic points at: `{Ref: X}`, `{Fn::GetAtt: [X, Attr]}` or `{Fn::GetAtt: "X.Attr"}`. */
export function intrinsicTarget(value: unknown): { logicalId: string; attribute: string } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return { logicalId: object.Ref, attribute: 'Ref' };
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2) return { logicalId: String(getAtt[0]), attribute: String(getAtt[1]) };
  if (typeof getAtt === 'string' && getAtt.includes('.')) {
    const dot = getAtt.indexOf('.');
    return { logicalId: getAtt.slice(0, dot), attribute: getAtt.slice(dot + 1) };
  }
  return undefined;
}

/**
 * Replaces `Ref` / `Fn::GetAtt` with the local value, recursively. Any other intrinsic
 * (`Fn::Sub`, `Fn::Join`, ...) is left as is: callers decide whether they can use it.
 */
export function resolveIntrinsics(value: unknown, attributes: Attributes): unknown {
  const target = intrinsicTarget(value);
  if (target) {
    const resolved = attributes[target.logicalId]?.[target.attribute];
    if (resolved === undefined) {
      throw new LocalStackError(
        `cannot resolve ${target.attribute === 'Ref' ? 'Ref' : `Fn::GetAtt ${target.attribute} of`} ${target.logicalId} locally`,
      );
    }
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, attributes));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveIntrinsics(item, attributes)]));
  }
  return value;
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new LocalStackError(`${where} must be a plain string to run locally, got ${JSON.stringify(value)}`);
  }
  return value;
}

function warnIgnored(logicalId: string, properties: Record<string, unknown>, handled: Set<string>, ignored: Set<string>): string[] {
  return Object.keys(properties)
    .filter((key) => !handled.has(key) && !ignored.has(key))
    .map((key) => `${logicalId}.${key} has no local equivalent and is ignored`);
}

export interface TableSpec {
  logicalId: string;
  input: CreateTableCommandInput;
  timeToLive?: TimeToLiveSpecification;
  warnings: string[];
}

const TABLE_HANDLED = new Set([
  'TableName',
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'TimeToLiveSpecification',
]);
/** Properties with no behaviour DynamoDB Local could show: dropped silently. */
const TABLE_IGNORED = new Set([
  'SSESpecification',
  'PointInTimeRecoverySpecification',
  'Tags',
  'TableClass',
  'DeletionProtectionEnabled',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'ResourcePolicy',
  'WarmThroughput',
  'OnDemandThroughput',
]);

type Index = { IndexName: string; KeySchema: unknown; Projection: unknown; ProvisionedThroughput?: unknown };

function index({ IndexName, KeySchema, Projection, ProvisionedThroughput }: Index): Index {
  return { IndexName, KeySchema, Projection, ...(ProvisionedThroughput ? { ProvisionedThroughput } : {}) };
}

/** CreateTable inputs (plus TTL) for every AWS::DynamoDB::Table resource. */
export function tableSpecs(resources: Record<string, CfnResource>): TableSpec[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, resource]) => {
      const p = resource.Properties ?? {};
      const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
      const input = {
        TableName: requireString(p.TableName, `${logicalId}.TableName`),
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        BillingMode: p.BillingMode ?? (p.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST'),
        ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput } : {}),
        ...(Array.isArray(p.GlobalSecondaryIndexes) ? { GlobalSecondaryIndexes: (p.GlobalSecondaryIndexes as Index[]).map(index) } : {}),
        ...(Array.isArray(p.LocalSecondaryIndexes) ? { LocalSecondaryIndexes: (p.LocalSecondaryIndexes as Index[]).map(index) } : {}),
        ...(stream?.StreamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
      } as CreateTableCommandInput;
      const ttl = p.TimeToLiveSpecification as TimeToLiveSpecification | undefined;
      return {
        logicalId,
        input,
        ...(ttl?.Enabled ? { timeToLive: { AttributeName: ttl.AttributeName, Enabled: true } } : {}),
        warnings: warnIgnored(logicalId, p, TABLE_HANDLED, TABLE_IGNORED),
      };
    });
}

export interface QueueSpec {
  logicalId: string;
  name: string;
  /** SQS attributes; RedrivePolicy still holds intrinsics until the target queue exists. */
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
  /** Logical ids of queues this one points at (its dead-letter queue), created first. */
  dependsOn: string[];
  warnings: string[];
}

/** CloudFormation properties of AWS::SQS::Queue whose names are also the SQS attribute names. */
const QUEUE_ATTRIBUTES = new Set([
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoQueue',
  'FifoThroughputLimit',
  'KmsDataKeyReusePeriodSeconds',
  'KmsMasterKeyId',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'RedriveAllowPolicy',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
]);

function queueTargets(value: unknown): string[] {
  const target = intrinsicTarget(value);
  if (target) return [target.logicalId];
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(queueTargets);
  return [];
}

/** CreateQueue specs for every AWS::SQS::Queue resource, dead-letter targets before their sources. */
export function queueSpecs(resources: Record<string, CfnResource>): QueueSpec[] {
  const specs = new Map<string, QueueSpec>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::SQS::Queue') continue;
    const p = resource.Properties ?? {};
    const attributes = Object.fromEntries(Object.entries(p).filter(([key]) => QUEUE_ATTRIBUTES.has(key)));
    const fifo = p.FifoQueue === true || p.FifoQueue === 'true';
    const tags = Object.fromEntries(((p.Tags ?? []) as { Key: string; Value: string }[]).map(({ Key, Value }) => [Key, String(Value)]));
    specs.set(logicalId, {
      logicalId,
      // CloudFormation would generate a name; locally the logical id stands in for it.
      name: p.QueueName === undefined ? `${logicalId}${fifo ? '.fifo' : ''}` : requireString(p.QueueName, `${logicalId}.QueueName`),
      attributes,
      tags,
      dependsOn: queueTargets(attributes.RedrivePolicy),
      warnings: warnIgnored(logicalId, p, new Set([...QUEUE_ATTRIBUTES, 'QueueName', 'Tags']), new Set()),
    });
  }
  const ordered: QueueSpec[] = [];
  const visit = (spec: QueueSpec, path: string[]) => {
    if (ordered.includes(spec)) return;
    if (path.includes(spec.logicalId)) throw new LocalStackError(`queues point at each other: ${[...path, spec.logicalId].join(' -> ')}`);
    for (const dependency of spec.dependsOn) {
      const target = specs.get(dependency);
      if (!target)
        throw new LocalStackError(`${spec.logicalId}.RedrivePolicy points at ${dependency}, which is not an AWS::SQS::Queue resource`);
      visit(target, [...path, spec.logicalId]);
    }
    ordered.push(spec);
  };
  for (const spec of specs.values()) visit(spec, []);
  return ordered;
}

/** SQS wants every attribute as a string; policies as JSON. */
export function queueAttributeStrings(attributes: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(attributes).map(([key, value]) => [
      key,
      typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
    ]),
  );
}
