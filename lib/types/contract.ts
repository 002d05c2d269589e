import type { Jitter } from '../domain/backoff';
import type { FieldProblem } from '../domain/errors';

/**
 * The contract between the pipeline and the work it runs. A task type is a name, a handler
 * and a retry policy; the registry (lib/types/registry.ts) lists the types a stage runs.
 * docs/task-types.md walks through adding one.
 */

/** A JSON value: what a handler may return as its result (stored and returned by GET). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** How a type's attempts are retried and bounded. */
export interface TaskPolicy {
  /** Attempts in all (1 try + maxAttempts-1 retries), 1-10. */
  maxAttempts: number;
  /** The retry after failed attempt n waits baseSeconds * 2^(n-1), at most maxDelaySeconds. */
  baseSeconds: number;
  /** At most 900 (SQS's largest DelaySeconds). */
  maxDelaySeconds: number;
  /** 'full': a uniform draw in [0, the delay]; 'none': the delay itself. */
  jitter: Jitter;
  /** An attempt running longer fails with AttemptTimedOut (retryable); its signal aborts. */
  timeoutSeconds: number;
}

/** The logger a handler gets: its lines carry the task's keys (taskId, type, attempt, correlationId). */
export interface TaskLog {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** What a handler knows of the attempt it runs. */
export interface TaskContext {
  taskId: string;
  type: string;
  /** 1-based number of this attempt. */
  attempt: number;
  maxAttempts: number;
  correlationId: string;
  log: TaskLog;
  /** Aborts when the attempt's deadline (timeoutSeconds) passes: pass it to fetch and the like. */
  signal: AbortSignal;
  /** Milliseconds left before the deadline (never negative). */
  remainingMs(): number;
}

/**
 * A kind of work. `handle` returns a JSON-serialisable result (or nothing) to succeed; any
 * error it throws fails the attempt, retried by the policy; a PermanentError ends the task
 * at once (DLQ, then FAILED).
 */
export interface TaskType<Payload extends Record<string, unknown> = Record<string, unknown>> {
  /** Letters, digits, '-' and '_', starting with a letter; stored on the task and a metric dimension. */
  name: string;
  /** One line for docs and the CLI. */
  description: string;
  /** The policy; fields left out take the defaults (DEFAULT_POLICY). */
  policy?: Partial<TaskPolicy>;
  /**
   * Checks a payload at submit, before anything is written: problems found become a 400 whose
   * `details` name them (fields as paths such as `payload.url`). Optional.
   */
  validate?(payload: Record<string, unknown>): FieldProblem[];
  /** Returns (or resolves to) the result: a JsonValue, or nothing. Anything JSON.stringify refuses fails the task permanently. */
  handle(payload: Payload, ctx: TaskContext): unknown;
}

/** Policy fields a type leaves out. */
export const DEFAULT_POLICY: TaskPolicy = { maxAttempts: 3, baseSeconds: 10, maxDelaySeconds: 900, jitter: 'none', timeoutSeconds: 10 };

/** Thrown by a handler for a failure that no retry can fix (a bad request, a refused input). */
export class PermanentError extends Error {
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** Thrown by a handler for a failure worth retrying, but not before `retryAfterSeconds` (e.g. HTTP Retry-After). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryLaterError';
  }
}

/** A permanent failure: a PermanentError, or any error marked `permanent: true` (another copy of the class). */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof PermanentError ||
    (typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true)
  );
}

/** The minimum delay a failure asks for before its retry, in seconds; 0 when it asks none. */
export function retryAfterOf(error: unknown): number {
  const value = typeof error === 'object' && error !== null ? (error as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

/** Declares a task type with its payload's static type (an identity function, for inference). */
export function defineTaskType<Payload extends Record<string, unknown>>(type: TaskType<Payload>): TaskType<Payload> {
  return type;
}
