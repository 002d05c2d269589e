/** Base of every error this service raises on purpose; `context` is safe to log. */
export class AppError extends Error {
  readonly context: Record<string, unknown>;
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** One problem with one field of a request. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** The request is malformed: HTTP 400. */
export class ValidationError extends AppError {
  constructor(
    message: string,
    readonly details: FieldProblem[],
  ) {
    super(message, { context: { details } });
  }
}

/** The request body is not JSON: HTTP 415. */
export class UnsupportedMediaTypeError extends AppError {}

/** The request body exceeds the documented maximum: HTTP 413. */
export class PayloadTooLargeError extends AppError {
  constructor(
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(`request body is ${sizeBytes} bytes; the maximum is ${maxBytes} bytes`, { context: { sizeBytes, maxBytes } });
  }
}

/** No task with this taskId: HTTP 404. */
export class TaskNotFoundError extends AppError {
  constructor(readonly taskId: string) {
    super(`task '${taskId}' does not exist`, { context: { taskId } });
  }
}

/** The taskId exists with a different payload or type: HTTP 409. */
export class TaskConflictError extends AppError {
  /** `existingType`: set when the payload is the same and the type differs. */
  constructor(
    readonly taskId: string,
    existingType?: string,
  ) {
    super(
      existingType
        ? `task '${taskId}' already exists with type '${existingType}'`
        : `task '${taskId}' already exists with a different payload`,
      { context: { taskId, ...(existingType ? { type: existingType } : {}) } },
    );
  }
}

/** The task was recorded but could not be enqueued: HTTP 503; retrying the same request enqueues it. */
export class EnqueueFailedError extends AppError {
  constructor(
    readonly taskId: string,
    cause: unknown,
  ) {
    super(`task '${taskId}' was recorded but could not be enqueued; retry the same request`, { cause, context: { taskId } });
  }
}

/** A task of a batch could not be recorded (a store fault): HTTP 503; retrying the same request is safe. */
export class RecordFailedError extends AppError {
  constructor(
    readonly taskId: string,
    cause: unknown,
  ) {
    super(`task '${taskId}' could not be recorded; retry the same request`, { cause, context: { taskId } });
  }
}

/**
 * The queue refused a message as invalid (its contents or size), not as throttling or an outage:
 * sending it again can never succeed, so the task it carries ends FAILED instead of waiting for it.
 */
export class MessageRejectedError extends AppError {
  constructor(
    readonly queue: string,
    readonly code: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`the ${queue} refused the message (${code}): ${detail}`, { cause, context: { queue, code } });
  }
}

/**
 * A redrive was recorded (the task is QUEUED again) but its message could not be sent: HTTP 503.
 * Sending the redrive again would be a 409 (the task is no longer FAILED); the reconciler sends
 * the message of an overdue QUEUED task, so nothing needs to be retried.
 */
export class RedriveEnqueueFailedError extends AppError {
  constructor(
    readonly taskId: string,
    cause: unknown,
  ) {
    super(
      `task '${taskId}' was redriven (QUEUED again) but could not be enqueued; the reconciler will enqueue it, do not redrive it again`,
      { cause, context: { taskId, status: 'QUEUED' } },
    );
  }
}

/** The task was recorded but the queue refused its message, so the task is FAILED: HTTP 422. */
export class TaskMessageRejectedError extends AppError {
  constructor(
    readonly taskId: string,
    rejection: MessageRejectedError,
  ) {
    super(
      `task '${taskId}' was recorded but ${rejection.message}; the task is FAILED and sending the same request again cannot change that`,
      {
        cause: rejection,
        context: { taskId, status: 'FAILED', queueError: rejection.code },
      },
    );
  }
}

/** The simulated work failed (the injected 30% failure or a forced outcome). */
export class SimulatedFailure extends AppError {}

/** A queue message that cannot be understood; SQS's RedrivePolicy moves it to the DLQ. */
export class PoisonMessageError extends AppError {}

/** The environment does not describe a valid configuration. */
export class ConfigError extends AppError {}

/** The task exists but its status does not allow the operation: HTTP 409. */
export class TaskStateConflictError extends AppError {
  constructor(
    readonly taskId: string,
    readonly status: string,
    reason: string,
  ) {
    super(`task '${taskId}' is ${status}: ${reason}`, { context: { taskId, status } });
  }
}
