/** Days a finished task is kept when a stage does not choose (RETENTION_DAYS); 0 keeps tasks forever. */
export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;

/** What bounds how long a task can stay unfinished. */
export interface LifetimeLimits {
  /** The most attempts any task may have. */
  maxAttempts: number;
  /** The longest retry delay, which is also the longest delayed start (SQS's 900 s). */
  maxDelaySeconds: number;
  /** How long one attempt may hold its claim. */
  leaseSeconds: number;
  /** How long past its due time a task waits before the reconciler re-sends its message. */
  reconcileGraceSeconds: number;
}

/**
 * The longest a task can stay unfinished: a delayed start, then every attempt waiting the
 * longest delay and holding its lease to the end, then the reconciler's grace. A payload item
 * expires this long after the state item could at the earliest, so it outlives any task.
 */
export function unfinishedLifetimeSeconds(limits: LifetimeLimits): number {
  return limits.maxDelaySeconds + limits.maxAttempts * (limits.maxDelaySeconds + limits.leaseSeconds) + limits.reconcileGraceSeconds;
}

/** The TTL attribute's value (epoch seconds) `seconds` after the ISO time `at`. */
export function expiryAfter(at: string, seconds: number): number {
  return Math.floor(Date.parse(at) / 1000) + seconds;
}

/** Whether an item with this TTL value has expired at `now` (DynamoDB deletes it within days, not at once). */
export function isExpired(expiresAt: number | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt * 1000 <= now.getTime();
}
