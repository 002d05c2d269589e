import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { MessageRejectedError } from '../../../../lib/domain/errors';
import { MAX_MESSAGE_BYTES } from '../../../../lib/domain/messageBody';
import { BATCH_SEND_ATTEMPTS, batchGroups, MAX_BATCH_BYTES, SqsTaskQueue } from '../../../../lib/adapters/taskQueue';
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
    queue = new SqsTaskQueue(client, URLS, async (ms) => {
      sleeps.push(ms);
    });
    sleeps = [];
  });
  let sleeps: number[];

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

  describe('enqueueBatch', () => {
    const entries = (n: number, payload: Record<string, unknown> = {}) =>
      Array.from({ length: n }, (_, i) => ({ message: taskMessage({ taskId: `t-${i}`, payload }), delaySeconds: i % 3 }));
    const sentIds = () =>
      sqs
        .commandCalls(SendMessageBatchCommand)
        .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.MessageBody!).taskId));
    /** Answers every call with `fail(entry)` deciding each entry's failure (undefined: sent). */
    const answer = (fail: (entry: SendMessageBatchRequestEntry, call: number) => { Code: string; SenderFault: boolean } | undefined) => {
      let call = 0;
      sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
        call += 1;
        const failed = input.Entries.flatMap((e) => {
          const f = fail(e, call);
          return f ? [{ Id: e.Id!, Message: 'no', ...f }] : [];
        });
        return {
          Successful: input.Entries.filter((e) => !failed.some((f) => f.Id === e.Id)).map((e) => ({
            Id: e.Id!,
            MessageId: 'm',
            MD5OfMessageBody: '',
          })),
          Failed: failed,
        };
      });
    };
    const taskIdOf = (e: SendMessageBatchRequestEntry) => JSON.parse(e.MessageBody!).taskId as string;

    it('sends 25 entries in calls of at most 10, each with its DelaySeconds and attributes, and reports all sent', async () => {
      answer(() => undefined);

      const outcomes = await queue.enqueueBatch(entries(25));

      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls.map((c) => c.args[0].input.Entries?.length)).to.deep.equal([10, 10, 5]);
      expect(calls[0].args[0].input.QueueUrl).to.equal(URLS.queueUrl);
      const entry = calls[1].args[0].input.Entries![2];
      expect(entry).to.deep.include({ DelaySeconds: 12 % 3 });
      expect(entry.MessageAttributes?.taskId).to.deep.equal({ DataType: 'String', StringValue: 't-12' });
      expect(sentIds()).to.deep.equal(entries(25).map((e) => e.message.taskId));
      expect(outcomes).to.deep.equal(Array.from({ length: 25 }, () => ({ sent: true })));
      expect(sqs.commandCalls(SendMessageCommand)).to.have.length(0);
    });

    it('keeps every call under 1 MiB of messages, splitting before the tenth entry when it must', async () => {
      answer(() => undefined);
      const payload = { text: 'é'.repeat(100_000) }; // ~600 KB once escaped as \u00e9

      await queue.enqueueBatch(entries(3, payload));

      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls.map((c) => c.args[0].input.Entries?.length)).to.deep.equal([1, 1, 1]);
      for (const c of calls) {
        const bytes = c.args[0].input.Entries!.reduce((n, e) => n + Buffer.byteLength(e.MessageBody!), 0);
        expect(bytes).to.be.at.most(MAX_BATCH_BYTES);
      }
    });

    it('resends only the entries that failed for throttling or a server error, backing off, until they are sent', async () => {
      answer((e, call) => (call <= 2 && ['t-3', 't-7'].includes(taskIdOf(e)) ? { Code: 'InternalError', SenderFault: false } : undefined));

      const outcomes = await queue.enqueueBatch(entries(10));

      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls.map((c) => (c.args[0].input.Entries ?? []).map(taskIdOf))).to.deep.equal([
        entries(10).map((e) => e.message.taskId),
        ['t-3', 't-7'],
        ['t-3', 't-7'],
      ]);
      expect(sleeps).to.deep.equal([50, 100]);
      expect(outcomes.every((o) => o.sent)).to.equal(true);
    });

    it('reports, without resending, an entry SQS refuses as invalid, and reports what still fails after the last attempt', async () => {
      answer((e) => {
        const id = taskIdOf(e);
        if (id === 't-1') return { Code: 'InvalidMessageContents', SenderFault: true };
        if (id === 't-2') return { Code: 'ServiceUnavailable', SenderFault: false };
        return undefined;
      });

      const outcomes = await queue.enqueueBatch(entries(4));

      expect(outcomes[0]).to.deep.equal({ sent: true });
      expect(outcomes[3]).to.deep.equal({ sent: true });
      const rejected = outcomes[1] as { sent: false; error: MessageRejectedError };
      expect(rejected.error).to.be.instanceOf(MessageRejectedError).and.include({ code: 'InvalidMessageContents' });
      const failed = outcomes[2] as { sent: false; error: Error };
      expect(failed.sent).to.equal(false);
      expect(failed.error).to.not.be.instanceOf(MessageRejectedError);
      expect(failed.error.name).to.equal('ServiceUnavailable');
      expect(sentIds().filter((id) => id === 't-2')).to.have.length(BATCH_SEND_ATTEMPTS);
      expect(sentIds().filter((id) => id === 't-1')).to.have.length(1);
    });

    it('retries a call that fails whole, and reports its error for every entry when it never succeeds', async () => {
      const outage = Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled' });
      sqs.on(SendMessageBatchCommand).rejects(outage);

      const outcomes = await queue.enqueueBatch(entries(12));

      expect(sqs.commandCalls(SendMessageBatchCommand)).to.have.length(2 * BATCH_SEND_ATTEMPTS);
      expect(outcomes).to.have.length(12);
      for (const o of outcomes) expect(o).to.deep.equal({ sent: false, error: outage });
    });

    it('reports a message over the SQS size limit as refused without sending it', async () => {
      answer(() => undefined);
      const huge = { message: taskMessage({ taskId: 'big', payload: { text: '😀'.repeat(100_000) } }), delaySeconds: 0 };

      const outcomes = await queue.enqueueBatch([huge, ...entries(1)]);

      expect((outcomes[0] as { error: MessageRejectedError }).error)
        .to.be.instanceOf(MessageRejectedError)
        .and.include({ code: 'MessageTooLarge' });
      expect(outcomes[1]).to.deep.equal({ sent: true });
      expect(sentIds()).to.deep.equal(['t-0']);
    });

    it('sends nothing for no entries', async () => {
      expect(await queue.enqueueBatch([])).to.deep.equal([]);
      expect(sqs.commandCalls(SendMessageBatchCommand)).to.have.length(0);
    });
  });

  it('batchGroups keeps entry order and never exceeds 10 entries or 1 MiB a group', () => {
    const sizes = [600_000, 500_000, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 1_048_576, 1];
    const groups = batchGroups(sizes.map((size, i) => ({ size, i })));

    expect(groups.flat().map((g) => g.i)).to.deep.equal(sizes.map((_, i) => i));
    expect(groups.map((g) => g.length)).to.deep.equal([1, 10, 2, 1, 1]);
    for (const g of groups) expect(g.reduce((n, e) => n + e.size, 0)).to.be.at.most(MAX_BATCH_BYTES);
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
