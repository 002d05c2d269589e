import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import * as sinon from 'sinon';
import { RecordingLogger } from '../../../lib/adapters/logger';
import { EmfMetrics } from '../../../lib/adapters/metrics';
import { bootLog, createDeps, createTracer, type ClientTracer } from '../../../lib/runtime';
import { testConfig } from '../../helpers/factories';

describe('runtime wiring', () => {
  describe('createTracer', () => {
    it('creates no tracer when tracing is off', () => {
      expect(createTracer(testConfig({ tracingEnabled: false }))).to.equal(undefined);
    });

    it('keeps the tracer disabled outside Lambda even when tracing is on, so no X-Ray daemon is sought', () => {
      const tracer = createTracer(testConfig({ tracingEnabled: true }));

      expect(tracer, 'tracer').to.not.equal(undefined);
      expect(tracer!.isTracingEnabled()).to.equal(false);
    });
  });

  describe('createDeps', () => {
    it('wraps the DynamoDB and SQS clients with the tracer', () => {
      const capture = sinon.spy((client: unknown) => client);

      createDeps(testConfig(), { captureAWSv3Client: capture as ClientTracer['captureAWSv3Client'] });

      const clients = capture.getCalls().map((call) => call.args[0]);
      expect(clients).to.have.length(2);
      expect(
        clients.some((client) => client instanceof DynamoDBClient),
        'DynamoDBClient',
      ).to.equal(true);
      expect(
        clients.some((client) => client instanceof SQSClient),
        'SQSClient',
      ).to.equal(true);
    });

    it('builds the dependencies without a tracer', () => {
      const deps = createDeps(testConfig());

      expect(deps.config.tableName).to.equal('tasks');
      expect(deps.newId()).to.match(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    });

    it("logs through Powertools' own logger (JSON lines on stdout) at the configured level, and publishes EMF metrics", () => {
      const deps = createDeps(testConfig({ logLevel: 'WARN' }));

      expect(deps.log).to.be.instanceOf(Logger);
      expect(deps.log).not.to.be.instanceOf(RecordingLogger);
      expect((deps.log as Logger).getLevelName()).to.equal('WARN');
      expect(deps.metrics).to.be.instanceOf(EmfMetrics);
    });
  });

  describe('bootLog', () => {
    it("is Powertools' own logger too, built once", () => {
      expect(bootLog()).to.be.instanceOf(Logger);
      expect(bootLog()).not.to.be.instanceOf(RecordingLogger);
      expect(bootLog()).to.equal(bootLog());
    });
  });
});
