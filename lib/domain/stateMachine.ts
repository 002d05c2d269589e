import { REDRIVABLE_STATUSES, type TaskError, type TaskEvent, type TaskState, type TaskStatus } from './task';

/**
 * One allowed starting point of a transition. A transition applies only if the
 * task matches one of its gates; that check and the write are one conditional write.
 */
export interface Gate {
  status: TaskStatus;
  attempts?: number;
  leaseId?: string;
  /** The lease must have run out before this instant (ISO time). */
  leaseExpiredBefore?: string;
}

/** A conditional change of a task's state plus the audit event that records it. */
export interface Transition {
  taskId: string;
  from: Gate[];
  to: TaskStatus;
  at: string;
  /** New attempt count; unchanged when omitted. */
  attempts?: number;
  /** Set when entering PROCESSING; any lease is removed otherwise. */
  lease?: { id: string; until: string };
  /** Set on failures; kept otherwise. */
  lastError?: TaskError;
  /** Set when a retry is scheduled; removed otherwise. */
  nextAttemptAt?: string;
  /** Set on SUCCEEDED when the attempt returned a result (JSON). */
  resultJson?: string;
  event: TaskEvent;
}

export type TransitionResult = { applied: true; task: TaskState } | { applied: false; current?: TaskState };

/** Whether a task matches a gate (the in-memory twin of the store's condition expression). */
export function matchesGate(task: TaskState, gate: Gate): boolean {
  if (task.status !== gate.status) return false;
  if (gate.attempts !== undefined && task.attempts !== gate.attempts) return false;
  if (gate.leaseId !== undefined && task.leaseId !== gate.leaseId) return false;
  if (gate.leaseExpiredBefore !== undefined && !(task.leaseUntil !== undefined && task.leaseUntil < gate.leaseExpiredBefore)) return false;
  return true;
}

/** Applies a transition to a task in memory, exactly as the store does; undefined when no gate matches. */
export function applyTransition(task: TaskState, t: Transition): TaskState | undefined {
  if (!t.from.some((gate) => matchesGate(task, gate))) return undefined;
  const next: TaskState = { ...task, status: t.to, updatedAt: t.at, history: [...task.history, t.event] };
  if (t.attempts !== undefined) next.attempts = t.attempts;
  if (t.lastError !== undefined) next.lastError = t.lastError;
  if (t.lease) {
    next.leaseId = t.lease.id;
    next.leaseUntil = t.lease.until;
  } else {
    delete next.leaseId;
    delete next.leaseUntil;
  }
  if (t.nextAttemptAt !== undefined) next.nextAttemptAt = t.nextAttemptAt;
  else delete next.nextAttemptAt;
  if (t.resultJson !== undefined) next.resultJson = t.resultJson;
  return next;
}

/**
 * Gates under which a delivery of attempt `attempt` may claim the task: the task
 * waits for exactly this attempt, or an earlier claim of it crashed and its lease ran out.
 */
export function claimGates(attempt: number, now: string): Gate[] {
  return [
    { status: 'QUEUED', attempts: attempt - 1 },
    { status: 'RETRY_SCHEDULED', attempts: attempt - 1 },
    { status: 'PROCESSING', attempts: attempt, leaseExpiredBefore: now },
  ];
}

/** Builds the claim: PROCESSING with a lease, attempts = attempt. */
export function claim(taskId: string, attempt: number, now: Date, leaseSeconds: number, leaseId: string): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: claimGates(attempt, at),
    to: 'PROCESSING',
    at,
    attempts: attempt,
    lease: { id: leaseId, until: new Date(now.getTime() + leaseSeconds * 1000).toISOString() },
    event: { type: 'PROCESSING', at, attempt },
  };
}

/** Builds PROCESSING → SUCCEEDED with the attempt's result (JSON, when it returned one), allowed only to the holder of the lease. */
export function succeed(taskId: string, attempt: number, leaseId: string, now: Date, resultJson?: string): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [{ status: 'PROCESSING', attempts: attempt, leaseId }],
    to: 'SUCCEEDED',
    at,
    ...(resultJson !== undefined ? { resultJson } : {}),
    event: { type: 'SUCCEEDED', at, attempt },
  };
}

/** Builds PROCESSING → RETRY_SCHEDULED with the error and when the next attempt is due. */
export function scheduleRetry(
  taskId: string,
  attempt: number,
  leaseId: string,
  error: TaskError,
  now: Date,
  delaySeconds: number,
): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [{ status: 'PROCESSING', attempts: attempt, leaseId }],
    to: 'RETRY_SCHEDULED',
    at,
    lastError: error,
    nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000).toISOString(),
    event: { type: 'RETRY_SCHEDULED', at, attempt, error, delaySeconds },
  };
}

/** Builds PROCESSING → DEAD_LETTERED after the last attempt failed, or after a permanent failure of any attempt. */
export function deadLetter(taskId: string, attempt: number, leaseId: string, error: TaskError, now: Date, permanent = false): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [{ status: 'PROCESSING', attempts: attempt, leaseId }],
    to: 'DEAD_LETTERED',
    at,
    lastError: error,
    event: { type: 'DEAD_LETTERED', at, attempt, error, ...(permanent ? { permanent: true as const } : {}) },
  };
}

/**
 * Which handling of a DLQ message writes FAILED: the SQS message, and the one delivery of it
 * (a fresh id per handling), which alone may log the task once it knows its write landed.
 */
export interface DlqHandling {
  messageId?: string;
  deliveryId: string;
}

/** The FAILED event's fields naming the handling that wrote it. */
function handlingFields(handling: DlqHandling | undefined): { messageId?: string; deliveryId?: string } {
  if (!handling) return {};
  return { ...(handling.messageId ? { messageId: handling.messageId } : {}), deliveryId: handling.deliveryId };
}

/** Builds DEAD_LETTERED → FAILED for a task the processor sent to the DLQ explicitly. */
export function failDeadLettered(
  taskId: string,
  attempts: number,
  error: TaskError,
  now: Date,
  handling?: DlqHandling,
  permanent = false,
): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [{ status: 'DEAD_LETTERED', attempts }],
    to: 'FAILED',
    at,
    event: {
      type: 'FAILED',
      at,
      attempt: attempts,
      error,
      ...handlingFields(handling),
      ...(permanent ? { permanent: true as const } : {}),
    },
  };
}

/** Statuses a cancel applies to: the task waits in the queue and no attempt runs. */
export const CANCELLABLE_STATUSES = ['QUEUED', 'RETRY_SCHEDULED'] as const satisfies readonly TaskStatus[];

export type CancellableStatus = (typeof CANCELLABLE_STATUSES)[number];

/**
 * Builds QUEUED or RETRY_SCHEDULED → CANCELLED from the state the caller read (status and
 * attempts), so the event names the attempt it cancelled. A message still in the queue for the
 * task is absorbed later: no claim gate matches a CANCELLED task.
 */
export function cancel(taskId: string, from: { status: CancellableStatus; attempts: number }, now: Date): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [{ status: from.status, attempts: from.attempts }],
    to: 'CANCELLED',
    at,
    event: { type: 'CANCELLED', at, attempt: from.attempts },
  };
}

/**
 * Builds → FAILED for a message that SQS's RedrivePolicy moved to the DLQ: allowed only
 * while the task still waits on that very message's attempt, so a stale copy changes nothing.
 */
export function failRedriven(taskId: string, attempt: number, error: TaskError, now: Date, handling?: DlqHandling): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [
      { status: 'QUEUED', attempts: attempt - 1 },
      { status: 'RETRY_SCHEDULED', attempts: attempt - 1 },
      { status: 'PROCESSING', attempts: attempt },
      { status: 'DEAD_LETTERED', attempts: attempt },
    ],
    to: 'FAILED',
    at,
    // lastError keeps the last error of the work itself; the event says why SQS gave up.
    event: { type: 'FAILED', at, attempt, error, ...handlingFields(handling) },
  };
}

/** Builds FAILED or CANCELLED → QUEUED with a fresh attempt budget; the history is kept and gains a REDRIVEN event. */
export function redrive(taskId: string, now: Date): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: REDRIVABLE_STATUSES.map((status) => ({ status })),
    to: 'QUEUED',
    at,
    attempts: 0,
    event: { type: 'REDRIVEN', at, attempt: 0 },
  };
}

/**
 * Builds → FAILED for a task whose awaited message the queue refused as invalid: allowed only
 * from the exact state that waits for that message, so a task that moved on is left alone.
 * The work's own last error is kept on a DEAD_LETTERED task; otherwise the refusal becomes it.
 */
export function failRejected(taskId: string, gate: Gate, error: TaskError, now: Date): Transition {
  const at = now.toISOString();
  return {
    taskId,
    from: [gate],
    to: 'FAILED',
    at,
    ...(gate.status === 'DEAD_LETTERED' ? {} : { lastError: error }),
    event: { type: 'FAILED', at, attempt: gate.attempts ?? 0, error },
  };
}
