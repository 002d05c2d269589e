import type { Context } from 'aws-lambda';
import { expect } from 'chai';
import { sqsBatchHandler } from '../../../../lib/lambda/sqsBatch';
import { sqsEvent, sqsRecord } from '../../../helpers/factories';
import { testDeps } from '../../../helpers/fakes';

const context = { functionName: 'task-pipeline-test-processTask', awsRequestId: 'request-9' } as Context;

describe('sqsBatchHandler', () => {
  it("logs each record through a child of the deps' logger carrying the record's keys and the Lambda context", async () => {
    const deps = testDeps();
    const handler = sqsBatchHandler(
      async (record, _deps, log) => {
        if (record.body.includes('bad')) throw new Error('DynamoDB unavailable');
        log.info('ATTEMPT_SUCCEEDED');
      },
      () => deps,
    );
    const good = sqsRecord({ taskId: 'a', attempt: 1, correlationId: 'c-a' });
    const bad = sqsRecord('bad', {
      messageAttributes: {
        taskId: { stringValue: 'b', dataType: 'String' },
        attempt: { stringValue: '2', dataType: 'Number' },
        correlationId: { stringValue: 'c-b', dataType: 'String' },
      },
      attributes: { ...good.attributes, ApproximateReceiveCount: '3' },
    });

    const response = await handler(sqsEvent(good, bad), context);

    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: bad.messageId }]);
    const keys = ({ message, messageId, taskId, attempt, correlationId, receiveCount, function_request_id }: Record<string, unknown>) => ({
      message,
      messageId,
      taskId,
      attempt,
      correlationId,
      receiveCount,
      function_request_id,
    });
    expect(deps.log.entries.map(keys)).to.deep.equal([
      {
        message: 'ATTEMPT_SUCCEEDED',
        messageId: good.messageId,
        taskId: 'a',
        attempt: 1,
        correlationId: 'c-a',
        receiveCount: 1,
        function_request_id: 'request-9',
      },
      {
        message: 'RECORD_FAILED',
        messageId: bad.messageId,
        taskId: 'b',
        attempt: 2,
        correlationId: 'c-b',
        receiveCount: 3,
        function_request_id: 'request-9',
      },
    ]);
    expect(deps.log.withMessage('RECORD_FAILED')[0]).to.deep.include({ level: 'ERROR', bodyBytes: 3 });
    expect(deps.log.withMessage('RECORD_FAILED')[0].error).to.include({ message: 'DynamoDB unavailable' });
    expect(deps.metrics.published).to.equal(1);
  });
});
