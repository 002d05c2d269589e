import type { Context } from 'aws-lambda';
import { expect } from 'chai';
import { MemoryLogger } from '../../../../lib/adapters/logger';
import { ConfigError } from '../../../../lib/domain/errors';
import { jsonResponse } from '../../../../lib/lambda/http';
import { httpHandler } from '../../../../lib/lambda/httpHandler';
import { getTaskEvent } from '../../../helpers/factories';
import { testDeps } from '../../../helpers/fakes';

const context = { functionName: 'task-pipeline-test-submitTask', awsRequestId: 'request-7' } as Context;

describe('httpHandler', () => {
  it("logs through the deps' logger, with the invocation's Lambda context on every line", async () => {
    const deps = testDeps();
    const handler = httpHandler(
      async (_event, d) => {
        d.log.info('TASK_SUBMITTED', { taskId: 'order-1' });
        return jsonResponse(202, {});
      },
      () => deps,
    );

    await handler(getTaskEvent('order-1'), context);

    expect(deps.log.entries).to.have.length(1);
    expect(deps.log.entries[0]).to.include({
      message: 'TASK_SUBMITTED',
      taskId: 'order-1',
      function_request_id: 'request-7',
      function_name: 'task-pipeline-test-submitTask',
    });
  });

  it('answers 500 INTERNAL_ERROR and logs REQUEST_FAILED to the boot logger when the dependencies cannot be built', async () => {
    const boot = new MemoryLogger({ serviceName: 'task-pipeline' });
    const handler = httpHandler(
      async () => jsonResponse(200, {}),
      () => {
        throw new ConfigError('environment variable TASKS_TABLE is required');
      },
      () => boot,
    );

    const response = await handler(getTaskEvent('order-1'), context);

    expect(response.statusCode).to.equal(500);
    expect(JSON.parse(response.body).error.code).to.equal('INTERNAL_ERROR');
    expect(boot.entries).to.have.length(1);
    expect(boot.entries[0]).to.include({ level: 'ERROR', message: 'REQUEST_FAILED', function_request_id: 'request-7' });
    expect(boot.entries[0].error).to.include({ name: 'ConfigError', message: 'environment variable TASKS_TABLE is required' });
  });
});
