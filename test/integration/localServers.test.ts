import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { createResources, intrinsicTarget, type LocalServers } from '../../devstack';
import { useLocalServers } from '../support/localServers';

/** The CloudFormation resources of serverless.yml of the running stage, by type. */
function resourcesOfType(servers: LocalServers, type: string) {
  return Object.entries(servers.config.resources?.Resources ?? {}).filter(([, resource]) => resource.Type === type);
}

async function queueAttributes(servers: LocalServers, url: string) {
  const { Attributes } = await servers.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Attributes ?? {};
}

describe('local servers: DynamoDB Local and fauxqs with the resources of serverless.yml', function () {
  const servers = useLocalServers({ stage: 'test' });

  it('creates every table with the key schema, attributes and indexes of the yml', async () => {
    const tables = resourcesOfType(servers(), 'AWS::DynamoDB::Table');
    expect(tables).to.not.be.empty;
    for (const [logicalId, resource] of tables) {
      const props = resource.Properties as Record<string, { IndexName?: string }[] | unknown>;
      const { Table } = await servers().clients.dynamoDb.send(
        new DescribeTableCommand({ TableName: servers().resources.tables[logicalId].name }),
      );

      expect(Table?.TableName).to.equal(props.TableName);
      expect(Table?.KeySchema).to.deep.equal(props.KeySchema);
      expect(Table?.AttributeDefinitions).to.have.deep.members(props.AttributeDefinitions as object[]);
      const indexNames = ((props.GlobalSecondaryIndexes as { IndexName: string }[] | undefined) ?? []).map((index) => index.IndexName);
      expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName)).to.have.members(indexNames);
    }
  });

  it('creates every queue with the attributes of the yml and resolves RedrivePolicy to the local DLQ', async () => {
    const queues = resourcesOfType(servers(), 'AWS::SQS::Queue');
    expect(queues.length).to.be.at.least(2);
    for (const [logicalId, resource] of queues) {
      const props = resource.Properties as Record<string, unknown>;
      const attributes = await queueAttributes(servers(), servers().resources.queues[logicalId].url);

      expect(attributes.VisibilityTimeout).to.equal(String(props.VisibilityTimeout));
      expect(attributes.MessageRetentionPeriod).to.equal(String(props.MessageRetentionPeriod));
      const redrive = props.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number } | undefined;
      if (redrive) {
        const dlq = servers().resources.queues[intrinsicTarget(redrive.deadLetterTargetArn)!.logicalId];
        expect(JSON.parse(attributes.RedrivePolicy ?? 'null')).to.deep.equal({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: redrive.maxReceiveCount,
        });
      }
    }
  });

  it('gives queue URLs of the form <endpoint>/000000000000/<name>', () => {
    for (const queue of Object.values(servers().resources.queues)) {
      expect(queue.url).to.equal(`${servers().sqs.endpoint}/000000000000/${queue.name}`);
    }
  });

  it("resolves the Refs of provider.environment to the local resources in a function's env", () => {
    const environment = servers().config.provider.environment ?? {};
    const refs = Object.entries(environment).filter(([, value]) => intrinsicTarget(value));
    expect(refs).to.not.be.empty;
    for (const [name, value] of refs) {
      const target = intrinsicTarget(value)!;
      expect(servers().env[name], name).to.equal(servers().resources.attributes[target.logicalId][target.attribute]);
    }
    expect(servers().env.AWS_ENDPOINT_URL_DYNAMODB).to.equal(servers().dynamoDb.endpoint);
    expect(servers().env.AWS_ENDPOINT_URL_SQS).to.equal(servers().sqs.endpoint);
  });

  it('creates the resources idempotently: a second run keeps the same tables and queues', async () => {
    const again = await createResources(servers().config, servers().clients, servers().sqs.endpoint);

    expect(again.tables).to.deep.equal(servers().resources.tables);
    expect(again.queues).to.deep.equal(servers().resources.queues);
  });

  it('moves a message received maxReceiveCount times to the DLQ (RedrivePolicy)', async function () {
    const [logicalId, resource] = resourcesOfType(servers(), 'AWS::SQS::Queue').find(([, r]) => r.Properties?.RedrivePolicy)!;
    const redrive = resource.Properties!.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
    const queue = servers().resources.queues[logicalId];
    const dlq = servers().resources.queues[intrinsicTarget(redrive.deadLetterTargetArn)!.logicalId];
    const sqs = servers().clients.sqs;
    const body = `redrive-${Date.now()}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));

    const receiveCounts: string[] = [];
    for (let i = 0; i < redrive.maxReceiveCount; i++) {
      // VisibilityTimeout 0: the message is visible again at once, as if the consumer failed.
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      receiveCounts.push(Messages?.[0]?.Attributes?.ApproximateReceiveCount ?? 'none');
    }
    const afterLimit = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 0 }));
    const inDlq = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1 }));

    expect(receiveCounts).to.deep.equal(Array.from({ length: redrive.maxReceiveCount }, (_, i) => String(i + 1)));
    expect(afterLimit.Messages ?? []).to.be.empty;
    expect(inDlq.Messages?.map((message) => message.Body)).to.deep.equal([body]);
  });
});
