import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { SqsTaskQueue } from '../../../lib/taskQueue';
import { deadLetterMessage, taskMessage } from '../../helpers/factories';

const URLS = { queueUrl: 'https://sqs.local/000000000000/tasks', dlqUrl: 'https://sqs.local/000000000000/tasks-dlq' };

describe('SqsTaskQueue', () => {
  // Mock one client instance, never the class (other suites in this process use real clients).
  let sqs: AwsClientStub<SQSClient>;
  let queue: SqsTaskQueue;

  beforeEach(() => {
    const client = new SQSClient({ region: 'us-east-1' });
    sqs = mockClient(client);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    queue = new SqsTaskQueue(client, URLS);
  });

  describe('enqueue', () => {
    it('sends one message to the task queue with exactly the given DelaySeconds', async () => {
      await queue.enqueue(taskMessage({ attempt: 3 }), 40);

      const calls = sqs.commandCalls(SendMessageCommand);
      expect(calls).to.have.length(1);
      expect(calls[0].args[0].input).to.include({ QueueUrl: URLS.queueUrl, DelaySeconds: 40 });
    });

    it('passes SQS\'s maximum delay of 900 s through unchanged', async () => {
      await queue.enqueue(taskMessage({ attempt: 3 }), 900);

      expect(sqs.commandCalls(SendMessageCommand)[0].args[0].input.DelaySeconds).to.equal(900);
    });

    it('sends DelaySeconds 0 for a first attempt rather than leaving it to the queue default', async () => {
      await queue.enqueue(taskMessage(), 0);

      expect(sqs.commandCalls(SendMessageCommand)[0].args[0].input.DelaySeconds).to.equal(0);
    });

    it('sends a JSON body equal to the message', async () => {
      const message = taskMessage({ taskId: 'order-7', attempt: 2, payload: { sku: 'A1', note: 'é😀' }, correlationId: 'corr-9' });

      await queue.enqueue(message, 10);

      const body = sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody!;
      expect(JSON.parse(body)).to.deep.equal(message);
    });

    it('sets taskId, correlationId and attempt message attributes', async () => {
      await queue.enqueue(taskMessage({ taskId: 'order-7', attempt: 2, correlationId: 'corr-9' }), 10);

      expect(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageAttributes).to.deep.equal({
        taskId: { DataType: 'String', StringValue: 'order-7' },
        correlationId: { DataType: 'String', StringValue: 'corr-9' },
        attempt: { DataType: 'Number', StringValue: '2' },
      });
    });

    it('rejects when SQS fails, so the caller can tell the message was not sent', async () => {
      sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));

      const result = await queue.enqueue(taskMessage(), 0).then(() => 'sent', (error: Error) => error.message);

      expect(result).to.equal('SQS unavailable');
    });
  });

  describe('deadLetter', () => {
    it('sends the dead-letter message to the DLQ, not the task queue, with no delay', async () => {
      await queue.deadLetter(deadLetterMessage());

      const calls = sqs.commandCalls(SendMessageCommand);
      expect(calls).to.have.length(1);
      expect(calls[0].args[0].input.QueueUrl).to.equal(URLS.dlqUrl);
      expect(calls[0].args[0].input.DelaySeconds).to.equal(undefined);
    });

    it('sends a JSON body equal to the dead-letter message and attributes with its attempt count', async () => {
      const message = deadLetterMessage({ taskId: 'order-7', attempts: 3, correlationId: 'corr-9' });

      await queue.deadLetter(message);

      const input = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
      expect(JSON.parse(input.MessageBody!)).to.deep.equal(message);
      expect(input.MessageAttributes).to.deep.equal({
        taskId: { DataType: 'String', StringValue: 'order-7' },
        correlationId: { DataType: 'String', StringValue: 'corr-9' },
        attempt: { DataType: 'Number', StringValue: '3' },
      });
    });
  });
});
