import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  type AppError,
  EnqueueFailedError,
  PayloadTooLargeError,
  RecordFailedError,
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
  [RecordFailedError, 503, 'RECORD_FAILED'],
  [RedriveEnqueueFailedError, 503, 'ENQUEUE_FAILED'],
];

/** The error body every route answers: `{"error": {code, message, details}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/** The status and body of an error this service raises on purpose; undefined for anything else. */
export function errorStatus(error: unknown): { statusCode: number; body: ErrorBody } | undefined {
  for (const [type, statusCode, code] of ERROR_STATUS) {
    if (error instanceof type) {
      const details = error instanceof ValidationError ? error.details : error.context;
      return { statusCode, body: { error: { code, message: error.message, details } } };
    }
  }
  return undefined;
}

/** Errors a retry of the same request repairs: their 503 says when to retry. */
export const isRetryable = (error: unknown) => error instanceof EnqueueFailedError || error instanceof RecordFailedError;

/** Maps an error to `{"error": {code, message, details}}`; anything unexpected is a logged 500 that reveals nothing. */
export function errorResponse(error: unknown, log: Log): APIGatewayProxyResult {
  const known = errorStatus(error);
  if (known) {
    if (known.statusCode >= 500) log.error('REQUEST_FAILED', { error: error as Error });
    return jsonResponse(known.statusCode, known.body, isRetryable(error) ? { 'Retry-After': '1' } : {});
  }
  log.error('REQUEST_FAILED', { error: error as Error });
  return jsonResponse(500, INTERNAL_ERROR);
}

/** The body of an unexpected error: it reveals nothing. */
export const INTERNAL_ERROR: ErrorBody = { error: { code: 'INTERNAL_ERROR', message: 'internal error; retry the request', details: {} } };
