import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { MessageRejectedError } from '../../../../lib/domain/errors';
import { MAX_MESSAGE_BYTES } from '../../../../lib/domain/messageBody';
import { SqsTaskQueue } from '../../../../lib/adapters/taskQueue';
import { deadLetterMessage, taskMessage } from '../../../helpers/factories';

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

    it("passes SQS's maximum delay of 900 s through unchanged", async () => {
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

    it('sets taskId, type, correlationId and attempt message attributes', async () => {
      await queue.enqueue(taskMessage({ taskId: 'order-7', attempt: 2, correlationId: 'corr-9' }), 10);

      expect(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageAttributes).to.deep.equal({
        taskId: { DataType: 'String', StringValue: 'order-7' },
        type: { DataType: 'String', StringValue: 'simulated' },
        correlationId: { DataType: 'String', StringValue: 'corr-9' },
        attempt: { DataType: 'Number', StringValue: '2' },
      });
    });

    it('sends a body of printable ASCII only, whatever the payload holds (emoji, U+FFFF, controls)', async () => {
      const message = taskMessage({ payload: { e: '😀', s: '\uffff', c: '\u0000', k: { 注文: 'ok' } } });

      await queue.enqueue(message, 0);

      const body = sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody!;
      expect(body).to.match(/^[\x20-\x7e]+$/);
      expect(JSON.parse(body)).to.deep.equal(message);
    });

    for (const code of ['InvalidMessageContents', 'InvalidParameterValue']) {
      it(`turns SQS's ${code} into MessageRejectedError naming the queue and the code`, async () => {
        sqs.on(SendMessageCommand).rejects(Object.assign(new Error('Invalid characters found.'), { name: code }));

        const error = await queue.enqueue(taskMessage(), 0).then(
          () => undefined,
          (e: unknown) => e,
        );

        expect(error).to.be.instanceOf(MessageRejectedError);
        expect(error).to.include({
          queue: 'task queue',
          code,
          message: `the task queue refused the message (${code}): Invalid characters found.`,
        });
      });
    }

    it('recognises the refusal under the names the SDK gives it (query-compatible prefix, __type)', async () => {
      const shapes = [
        { name: 'AWS.SimpleQueueService.InvalidMessageContents' },
        { name: 'SQSServiceException', __type: 'com.amazonaws.sqs#InvalidMessageContents' },
      ];
      const codes: string[] = [];
      for (const shape of shapes) {
        sqs.on(SendMessageCommand).rejects(Object.assign(new Error('bad'), shape));
        const error = await queue.enqueue(taskMessage(), 0).then(
          () => undefined,
          (e: unknown) => e,
        );
        codes.push((error as MessageRejectedError).code);
      }

      expect(codes).to.deep.equal(['InvalidMessageContents', 'InvalidMessageContents']);
    });

    for (const code of ['RequestThrottled', 'KmsThrottled', 'QueueDoesNotExist', 'InternalError']) {
      it(`passes SQS's ${code} through unchanged: the send may succeed later`, async () => {
        sqs.on(SendMessageCommand).rejects(Object.assign(new Error('try later'), { name: code }));

        const error = await queue.enqueue(taskMessage(), 0).then(
          () => undefined,
          (e: unknown) => e,
        );

        expect(error).to.not.be.instanceOf(MessageRejectedError);
        expect((error as Error).name).to.equal(code);
      });
    }

    it("refuses a message over SQS's 1 MiB itself, without sending it", async () => {
      const error = await queue.enqueue(taskMessage({ payload: { blob: 'x'.repeat(MAX_MESSAGE_BYTES) } }), 0).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.be.instanceOf(MessageRejectedError);
      expect((error as MessageRejectedError).code).to.equal('MessageTooLarge');
      expect(sqs.commandCalls(SendMessageCommand)).to.have.length(0);
    });

    it('rejects when SQS fails, so the caller can tell the message was not sent', async () => {
      sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));

      const result = await queue.enqueue(taskMessage(), 0).then(
        () => 'sent',
        (error: Error) => error.message,
      );

      expect(result).to.equal('SQS unavailable');
    });
  });

  describe('deadLetter', () => {
    it('turns a refusal into MessageRejectedError naming the dead-letter queue', async () => {
      sqs.on(SendMessageCommand).rejects(Object.assign(new Error('bad'), { name: 'InvalidMessageContents' }));

      const error = await queue.deadLetter(deadLetterMessage()).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).to.include({ queue: 'dead-letter queue', code: 'InvalidMessageContents' });
    });

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
        type: { DataType: 'String', StringValue: 'simulated' },
        correlationId: { DataType: 'String', StringValue: 'corr-9' },
        attempt: { DataType: 'Number', StringValue: '3' },
      });
    });
  });
});
