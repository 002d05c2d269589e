import { SimulatedFailure } from './errors';

export interface SimulationOptions {
  failureRate: number;
  allowOverride: boolean;
  random: () => number;
}

/** A payload's request to force the outcome (honoured only where the stage allows it). */
type Override = 'fail' | 'succeed' | { failOnAttempts: number[] };

function readOverride(payload: Record<string, unknown>): Override | undefined {
  const value = payload.simulate;
  if (value === 'fail' || value === 'succeed') return value;
  if (value && typeof value === 'object' && Array.isArray((value as { failOnAttempts?: unknown }).failOnAttempts)) {
    return { failOnAttempts: (value as { failOnAttempts: unknown[] }).failOnAttempts.filter(Number.isInteger) as number[] };
  }
  return undefined;
}

/** The simulated unit of work: throws SimulatedFailure with probability failureRate. */
export function simulateWork(payload: Record<string, unknown>, attempt: number, options: SimulationOptions): void {
  const override = options.allowOverride ? readOverride(payload) : undefined;
  let fails: boolean;
  let reason: string;
  if (override === 'fail' || override === 'succeed') {
    fails = override === 'fail';
    reason = `forced by payload.simulate = "${override}"`;
  } else if (override) {
    fails = override.failOnAttempts.includes(attempt);
    reason = `forced by payload.simulate.failOnAttempts on attempt ${attempt}`;
  } else {
    fails = options.random() < options.failureRate;
    reason = `random failure (rate ${options.failureRate}) on attempt ${attempt}`;
  }
  if (fails) throw new SimulatedFailure(`simulated work failed: ${reason}`, { context: { attempt } });
}
