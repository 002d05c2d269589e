import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  type AppError,
  EnqueueFailedError,
  PayloadTooLargeError,
  RedriveEnqueueFailedError,
  TaskConflictError,
  TaskNotFoundError,
  TaskMessageRejectedError,
  TaskStateConflictError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../domain/errors';
import type { Log } from '../adapters/logger';

/** A JSON response with the given status. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Error classes mapped to HTTP status and error code: the one place that decides them. */
const ERROR_STATUS: [new (...args: never[]) => AppError, number, string][] = [
  [ValidationError, 400, 'VALIDATION_ERROR'],
  [TaskNotFoundError, 404, 'TASK_NOT_FOUND'],
  [TaskConflictError, 409, 'TASK_CONFLICT'],
  [TaskStateConflictError, 409, 'TASK_STATE_CONFLICT'],
  [PayloadTooLargeError, 413, 'PAYLOAD_TOO_LARGE'],
  [UnsupportedMediaTypeError, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  [TaskMessageRejectedError, 422, 'MESSAGE_REJECTED'],
  [EnqueueFailedError, 503, 'ENQUEUE_FAILED'],
  [RedriveEnqueueFailedError, 503, 'ENQUEUE_FAILED'],
];

/** Maps an error to `{"error": {code, message, details}}`; anything unexpected is a logged 500 that reveals nothing. */
export function errorResponse(error: unknown, log: Log): APIGatewayProxyResult {
  for (const [type, statusCode, code] of ERROR_STATUS) {
    if (error instanceof type) {
      if (statusCode >= 500) log.error('REQUEST_FAILED', { error: error as Error });
      const details = error instanceof ValidationError ? error.details : error.context;
      return jsonResponse(
        statusCode,
        { error: { code, message: error.message, details } },
        error instanceof EnqueueFailedError ? { 'Retry-After': '1' } : {},
      );
    }
  }
  log.error('REQUEST_FAILED', { error: error as Error });
  return jsonResponse(500, { error: { code: 'INTERNAL_ERROR', message: 'internal error; retry the request', details: {} } });
}
