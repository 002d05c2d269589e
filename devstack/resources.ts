import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueAttributeStrings, queueSpecs, resolveIntrinsics, tableSpecs, type Attributes } from './cloudFormation';
import type { ServerlessConfig } from './serverlessConfig';

export interface LocalTable {
  name: string;
  arn: string;
  streamArn?: string;
}

export interface LocalQueue {
  name: string;
  url: string;
  arn: string;
}

/** The local resources, by their logical id in serverless.yml. */
export interface LocalResources {
  tables: Record<string, LocalTable>;
  queues: Record<string, LocalQueue>;
  /** What `Ref` / `Fn::GetAtt` of each logical id stands for locally. */
  attributes: Attributes;
  /** Properties of the yml that have no local meaning. */
  warnings: string[];
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

async function ensureTable(client: DynamoDBClient, spec: ReturnType<typeof tableSpecs>[number]): Promise<LocalTable> {
  try {
    await client.send(new CreateTableCommand(spec.input));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  if (spec.timeToLive) {
    try {
      await client.send(new UpdateTimeToLiveCommand({ TableName: spec.input.TableName, TimeToLiveSpecification: spec.timeToLive }));
    } catch (error) {
      // Already enabled on a table created by an earlier run.
      if (errorName(error) !== 'ValidationException') throw error;
    }
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: spec.input.TableName }));
  return { name: spec.input.TableName!, arn: Table!.TableArn!, ...(Table?.LatestStreamArn ? { streamArn: Table.LatestStreamArn } : {}) };
}

/**
 * A queue URL as the local stack uses it: `<endpoint>/<account>/<name>`, the form the local stage
 * builds from LOCAL_SQS_ENDPOINT. fauxqs answers `http://sqs.<region>.localhost:<port>/...` (a
 * host that need not resolve) and finds a queue by the path of any URL.
 */
function onEndpoint(url: string, endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}${new URL(url).pathname}`;
}

async function ensureQueue(
  client: SQSClient,
  endpoint: string,
  name: string,
  attributes: Record<string, string>,
  tags: Record<string, string>,
): Promise<LocalQueue> {
  let url: string;
  try {
    url = (
      await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, ...(Object.keys(tags).length ? { tags } : {}) }))
    ).QueueUrl!;
  } catch (error) {
    if (errorName(error) !== 'QueueNameExists') throw error;
    // Created by an earlier run with other attributes: bring it in line with the yml.
    url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  url = onEndpoint(url, endpoint);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { name, url, arn: Attributes!.QueueArn! };
}

/**
 * Creates the DynamoDB tables and SQS queues of serverless.yml's `resources` on the local
 * servers, idempotently. A RedrivePolicy's `Fn::GetAtt: [Queue, Arn]` becomes the local
 * queue's ARN, so SQS moves messages to the local DLQ after maxReceiveCount receives. Queue
 * URLs are given on `sqsEndpoint`, the SQS server's base URL.
 */
export async function createResources(
  config: ServerlessConfig,
  clients: { dynamoDb: DynamoDBClient; sqs: SQSClient },
  sqsEndpoint: string,
): Promise<LocalResources> {
  const resources = config.resources?.Resources ?? {};
  const result: LocalResources = { tables: {}, queues: {}, attributes: {}, warnings: [] };

  const tables = tableSpecs(resources);
  const created = await Promise.all(tables.map((spec) => ensureTable(clients.dynamoDb, spec)));
  tables.forEach((spec, i) => {
    const table = created[i];
    result.tables[spec.logicalId] = table;
    result.attributes[spec.logicalId] = { Ref: table.name, Arn: table.arn, ...(table.streamArn ? { StreamArn: table.streamArn } : {}) };
    result.warnings.push(...spec.warnings);
  });

  // In dependency order: a queue's dead-letter target exists before the queue points at it.
  for (const spec of queueSpecs(resources)) {
    const attributes = queueAttributeStrings(resolveIntrinsics(spec.attributes, result.attributes) as Record<string, unknown>);
    const queue = await ensureQueue(clients.sqs, sqsEndpoint, spec.name, attributes, spec.tags);
    result.queues[spec.logicalId] = queue;
    result.attributes[spec.logicalId] = { Ref: queue.url, Arn: queue.arn, QueueName: queue.name, QueueUrl: queue.url };
    result.warnings.push(...spec.warnings);
  }
  return result;
}
