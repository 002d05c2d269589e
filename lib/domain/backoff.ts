export type Jitter = 'none' | 'full';

export interface BackoffPolicy {
  /** Delay before the first retry; retry r waits baseSeconds * 2^(r-1). */
  baseSeconds: number;
  /** SQS refuses DelaySeconds above 900. */
  maxDelaySeconds: number;
  jitter: Jitter;
}

/**
 * Seconds the retry after failed attempt `failedAttempt` (1-based) waits in the queue:
 * min(maxDelay, base * 2^(failedAttempt-1)); with full jitter a uniform draw in [0, that].
 */
export function retryDelaySeconds(failedAttempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exact = Math.min(policy.maxDelaySeconds, policy.baseSeconds * 2 ** (failedAttempt - 1));
  if (policy.jitter === 'none') return exact;
  return Math.min(exact, Math.floor(random() * (exact + 1)));
}

/** SQS's largest DelaySeconds. */
const MAX_SQS_DELAY_SECONDS = 900;

/**
 * The DelaySeconds that makes a message due at `dueAt` (ISO time; now when absent), re-sent at
 * `now`: what is left of a delay, within what SQS takes.
 */
export function remainingDelaySeconds(dueAt: string | undefined, now: Date): number {
  const due = dueAt ? Date.parse(dueAt) : now.getTime();
  return Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil((due - now.getTime()) / 1000)));
}
