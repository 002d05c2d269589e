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
