import { expect } from 'chai';
import {
  AppError,
  ConfigError,
  EnqueueFailedError,
  MessageRejectedError,
  PayloadTooLargeError,
  RedriveEnqueueFailedError,
  TaskConflictError,
  TaskMessageRejectedError,
  TaskNotFoundError,
  TaskStateConflictError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../../lib/domain/errors';
import { errorResponse, jsonResponse } from '../../../../lib/lambda/http';
import { MemoryLogger } from '../../../../lib/adapters/logger';

/** The response errorResponse gives for error, with its body parsed. */
function respond(error: unknown) {
  const log = new MemoryLogger({ serviceName: 'task-pipeline' });
  const response = errorResponse(error, log);
  return { ...response, json: JSON.parse(response.body), log };
}

describe('http', () => {
  describe('errorResponse', () => {
    const mapped: [string, () => Error, number, string][] = [
      [
        'ValidationError',
        () => new ValidationError('invalid request: taskId is required', [{ field: 'taskId', problem: 'is required' }]),
        400,
        'VALIDATION_ERROR',
      ],
      ['TaskNotFoundError', () => new TaskNotFoundError('order-7'), 404, 'TASK_NOT_FOUND'],
      ['TaskConflictError', () => new TaskConflictError('order-7'), 409, 'TASK_CONFLICT'],
      [
        'TaskStateConflictError',
        () => new TaskStateConflictError('order-7', 'QUEUED', 'only a FAILED task can be redriven'),
        409,
        'TASK_STATE_CONFLICT',
      ],
      ['PayloadTooLargeError', () => new PayloadTooLargeError(245761, 245760), 413, 'PAYLOAD_TOO_LARGE'],
      [
        'UnsupportedMediaTypeError',
        () =>
          new UnsupportedMediaTypeError("Content-Type must be application/json, got 'text/plain'", {
            context: { contentType: 'text/plain' },
          }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['EnqueueFailedError', () => new EnqueueFailedError('order-7', new Error('SQS unavailable')), 503, 'ENQUEUE_FAILED'],
      ['RedriveEnqueueFailedError', () => new RedriveEnqueueFailedError('order-7', new Error('SQS unavailable')), 503, 'ENQUEUE_FAILED'],
      [
        'TaskMessageRejectedError',
        () => new TaskMessageRejectedError('order-7', new MessageRejectedError('task queue', 'InvalidMessageContents', 'bad')),
        422,
        'MESSAGE_REJECTED',
      ],
    ];
    for (const [name, make, status, code] of mapped) {
      it(`answers ${status} ${code} for a ${name}, with its message`, () => {
        const error = make();

        const res = respond(error);

        expect(res.statusCode).to.equal(status);
        expect(res.json.error).to.include({ code, message: error.message });
      });
    }

    it('answers with the body shape {"error": {code, message, details}} and a JSON Content-Type', () => {
      const res = respond(new TaskNotFoundError('order-7'));

      expect(res.headers).to.include({ 'Content-Type': 'application/json' });
      expect(res.json).to.have.all.keys('error');
      expect(res.json.error).to.have.all.keys('code', 'message', 'details');
    });

    it('lists each field problem of a ValidationError in details', () => {
      const problems = [
        { field: 'taskId', problem: 'is required' },
        { field: 'extra', problem: 'is not a known field (expected taskId, payload, type, delaySeconds)' },
      ];

      const res = respond(new ValidationError('invalid request', problems));

      expect(res.json.error.details).to.deep.equal(problems);
    });

    it('puts the sizes of a too-large body in details', () => {
      const res = respond(new PayloadTooLargeError(245761, 245760));

      expect(res.json.error.details).to.deep.equal({ sizeBytes: 245761, maxBytes: 245760 });
      expect(res.json.error.message).to.equal('request body is 245761 bytes; the maximum is 245760 bytes');
    });

    it('names the task in the details of a 404 and a 409', () => {
      const notFound = respond(new TaskNotFoundError('order-7'));
      const conflict = respond(new TaskConflictError('order-8'));

      expect(notFound.json.error.details).to.deep.equal({ taskId: 'order-7' });
      expect(conflict.json.error.details).to.deep.equal({ taskId: 'order-8' });
    });

    it('asks the client to retry a 503 after 1 second and logs it, without revealing the cause', () => {
      const res = respond(new EnqueueFailedError('order-7', new Error('secret queue arn:aws:sqs:eu-west-1:123:tasks')));

      expect(res.headers).to.include({ 'Retry-After': '1' });
      expect(res.body).not.to.contain('arn:aws');
      expect(res.log.entries.map((l) => [l.level, l.message])).to.deep.equal([['ERROR', 'REQUEST_FAILED']]);
    });

    it('does not ask to retry a redrive whose message failed: a second redrive would be a 409, the reconciler sends it', () => {
      const res = respond(new RedriveEnqueueFailedError('order-7', new Error('SQS unavailable')));

      expect(res.statusCode).to.equal(503);
      expect(res.headers).not.to.have.property('Retry-After');
      expect(JSON.parse(res.body).error.message).to.equal(
        "task 'order-7' was redriven (QUEUED again) but could not be enqueued; the reconciler will enqueue it, do not redrive it again",
      );
    });

    it('does not log client errors (4xx) as errors', () => {
      const res = respond(new ValidationError('invalid', []));

      expect(res.log.entries).to.deep.equal([]);
      expect(res.headers).not.to.have.property('Retry-After');
    });

    it('answers 500 INTERNAL_ERROR for an unknown error without leaking its message, and logs the error', () => {
      const error = new Error('connect ECONNREFUSED 10.0.3.7:8000 (table tasks-prod)');

      const res = respond(error);

      expect(res.statusCode).to.equal(500);
      expect(res.json).to.deep.equal({ error: { code: 'INTERNAL_ERROR', message: 'internal error; retry the request', details: {} } });
      expect(res.body).not.to.contain('ECONNREFUSED');
      expect(res.log.entries).to.have.length(1);
      expect(res.log.entries[0]).to.include({ level: 'ERROR', message: 'REQUEST_FAILED' });
      expect(res.log.entries[0].error).to.include({ name: 'Error', message: error.message, stack: error.stack });
    });

    for (const [what, error] of [
      ['a ConfigError', new ConfigError('environment variable TASKS_TABLE is required')],
      ['a plain AppError', new AppError('internal detail')],
      ['a thrown string', 'boom'],
      ['undefined', undefined],
    ] as [string, unknown][]) {
      it(`answers 500 for ${what}, an error with no HTTP meaning`, () => {
        const res = respond(error);

        expect(res.statusCode).to.equal(500);
        expect(res.json.error.code).to.equal('INTERNAL_ERROR');
      });
    }
  });

  describe('jsonResponse', () => {
    it('serialises the body as JSON and adds extra headers to the JSON Content-Type', () => {
      const res = jsonResponse(202, { taskId: 't' }, { Location: '/tasks/t' });

      expect(res).to.deep.equal({
        statusCode: 202,
        headers: { 'Content-Type': 'application/json', Location: '/tasks/t' },
        body: '{"taskId":"t"}',
      });
    });
  });
});
