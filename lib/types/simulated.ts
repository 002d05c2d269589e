import { simulateWork } from '../domain/simulation';
import { defineTaskType, type TaskPolicy, type TaskType } from './contract';

export interface SimulatedOptions {
  /** Share of attempts that fail at random (FAILURE_RATE). */
  failureRate: number;
  /** Lets `payload.simulate` force the outcome (dev and local stages only). */
  allowOverride: boolean;
  /** Uniform draw in [0, 1), seeded in tests. */
  random: () => number;
  /** The stage's policy for the default type (maxAttempts, BACKOFF_BASE_SECONDS, BACKOFF_JITTER). */
  policy: Partial<TaskPolicy>;
}

/**
 * The default type: a stand-in for real work that fails at random for `failureRate` of its
 * attempts. Tasks submitted without a `type` are of this type.
 */
export function simulatedType(options: SimulatedOptions): TaskType {
  return defineTaskType({
    name: 'simulated',
    description: `simulated work that fails at random for ${Math.round(options.failureRate * 100)}% of attempts`,
    policy: options.policy,
    handle(payload, ctx) {
      simulateWork(payload, ctx.attempt, options);
    },
  });
}
