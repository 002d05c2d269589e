import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { expect } from 'chai';
import { createLog, MemoryLogger, RecordingLogger, type LogEntry, type RootLog } from '../../../../lib/adapters/logger';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * What the pipeline does with a logger: a line below the level, lines with nested keys, the
 * Lambda context, a per-record child and an error with a cause. Runs in this process and,
 * as source text, in a child process, so it uses nothing but its argument.
 */
function exercise(log: RootLog): void {
  const frame = (name: string) => `${name}\n    at work (/var/task/handlers/processTask.js:7:11)`;
  const cause = Object.assign(new TypeError('socket hang up'), { stack: frame('TypeError: socket hang up') });
  const error = Object.assign(new Error('DynamoDB unavailable', { cause }), { stack: frame('Error: DynamoDB unavailable') });
  log.debug('BELOW_THE_LEVEL', { taskId: 'order-1' });
  log.info('TASK_SUBMITTED', { taskId: 'order-1', correlationId: 'c-1', nested: { list: [1, 'two', null] } });
  log.addContext({
    functionName: 'task-pipeline-test-processTask',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:task-pipeline-test-processTask',
    memoryLimitInMB: '1024',
    awsRequestId: 'request-1',
  } as unknown as Parameters<RootLog['addContext']>[0]);
  const record = log.createChild({ persistentKeys: { messageId: 'm-1', taskId: 'order-1', attempt: 2 } });
  record.warn('RETRY_RESENT', { status: 'RETRY_SCHEDULED', delaySeconds: 10 });
  record.error('RECORD_FAILED', { error, bodyBytes: 42 });
}

/** The lines `exercise` prints through the production logger, read from a child process's stdout and stderr (in order). */
function printedByPowertools(settings: Parameters<typeof createLog>[0]): LogEntry[] {
  const script = `const log = require('./lib/adapters/logger.ts').createLog(${JSON.stringify(settings)}); (${exercise.toString()})(log);`;
  // Powertools prints warnings and errors to stderr, the rest to stdout; Lambda sends both to CloudWatch.
  const stdout = execFileSync('/bin/sh', ['-c', 'exec "$0" -r ts-node/register/transpile-only -e "$1" 2>&1', process.execPath, script], {
    cwd: ROOT,
    // No POWERTOOLS_* or Lambda variables: the settings alone decide.
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const withoutTimestamp = (entries: LogEntry[]) => entries.map(({ timestamp: _t, ...rest }) => rest);

describe('logger', () => {
  describe('MemoryLogger', () => {
    it('keeps exactly the lines the production logger prints to stdout (keys, context, children, errors), timestamps aside', function () {
      this.timeout(20_000);
      const settings = { serviceName: 'orders', logLevel: 'INFO' } as const;
      const memory = new MemoryLogger(settings);

      exercise(memory);
      const printed = printedByPowertools(settings);

      expect(printed.map((line) => line.message)).to.deep.equal(['TASK_SUBMITTED', 'RETRY_RESENT', 'RECORD_FAILED']);
      expect(withoutTimestamp(memory.entries)).to.deep.equal(withoutTimestamp(printed));
      const failed = memory.withMessage('RECORD_FAILED')[0];
      expect(failed).to.deep.include({ level: 'ERROR', service: 'orders', messageId: 'm-1', taskId: 'order-1', attempt: 2, bodyBytes: 42 });
      expect(failed).to.include({ function_request_id: 'request-1', function_name: 'task-pipeline-test-processTask' });
      expect(failed.error).to.deep.include({
        name: 'Error',
        message: 'DynamoDB unavailable',
        location: '/var/task/handlers/processTask.js:7',
      });
      expect((failed.error as { cause: unknown }).cause).to.deep.include({ name: 'TypeError', message: 'socket hang up' });
    });

    it("keeps its children's lines in its own entries, each with the child's keys", () => {
      const log = new MemoryLogger({ serviceName: 'task-pipeline' });

      log.createChild({ persistentKeys: { taskId: 'a' } }).info('ATTEMPT_SUCCEEDED');
      log.createChild({ persistentKeys: { taskId: 'b' } }).info('ATTEMPT_SUCCEEDED');
      log.info('RECONCILE_DONE');

      expect(log.entries.map((e) => [e.message, e.taskId])).to.deep.equal([
        ['ATTEMPT_SUCCEEDED', 'a'],
        ['ATTEMPT_SUCCEEDED', 'b'],
        ['RECONCILE_DONE', undefined],
      ]);
      expect(log.withMessage('ATTEMPT_SUCCEEDED')).to.have.length(2);
    });

    it('keeps the warnings Powertools logs while it builds a logger (a reserved key dropped)', () => {
      const log = new MemoryLogger({ serviceName: 'task-pipeline', persistentKeys: { message: 'clash' } as never });

      log.info('TASK_SUBMITTED');

      expect(log.entries.map((e) => [e.level, e.message])).to.deep.equal([
        ['WARN', 'The key "message" is a reserved key and will be dropped.'],
        ['INFO', 'TASK_SUBMITTED'],
      ]);
    });

    it('logs nothing below its level', () => {
      const log = new MemoryLogger({ serviceName: 'task-pipeline', logLevel: 'WARN' });

      log.debug('RECONCILE_DONE');
      log.info('TASK_SUBMITTED');
      log.warn('TASK_RECONCILED');

      expect(log.entries.map((e) => e.message)).to.deep.equal(['TASK_RECONCILED']);
    });
  });

  describe('RecordingLogger', () => {
    it('hands each line to its recorder as the JSON text Powertools would print, and parsed', () => {
      const lines: [LogEntry, string][] = [];
      const log = new RecordingLogger((entry, line) => lines.push([entry, line]), { serviceName: 'task-pipeline' });

      log.createChild({ persistentKeys: { taskId: 'é' } }).warn('DEAD_LETTERED', { attempt: 3 });

      expect(lines).to.have.length(1);
      const [entry, line] = lines[0];
      expect(line).to.equal(JSON.stringify(entry));
      expect(entry).to.include({ level: 'WARN', message: 'DEAD_LETTERED', service: 'task-pipeline', taskId: 'é', attempt: 3 });
    });
  });

  describe('createLog', () => {
    it("is Powertools' own logger, with the service name and level it is given", () => {
      const log = createLog({ serviceName: 'orders', logLevel: 'ERROR' });

      expect(log).to.be.instanceOf(Logger);
      expect(log).not.to.be.instanceOf(RecordingLogger);
      expect(log.getLevelName()).to.equal('ERROR');
    });
  });
});
