import { z } from 'zod';
import { SimulatedFailure } from './errors';

export interface SimulationOptions {
  failureRate: number;
  allowOverride: boolean;
  random: () => number;
}

/**
 * A payload's request to force the outcome (honoured only where the stage allows it): "fail",
 * "succeed" or { failOnAttempts: [...] }, whose non-integer entries are ignored. Anything else
 * leaves the outcome to chance.
 */
const OverrideSchema = z.union([
  z.enum(['fail', 'succeed']),
  z.object({
    failOnAttempts: z
      .array(z.unknown())
      .transform((items) => items.filter((n): n is number => typeof n === 'number' && Number.isInteger(n))),
  }),
]);

function readOverride(payload: Record<string, unknown>): z.output<typeof OverrideSchema> | undefined {
  const result = OverrideSchema.safeParse(payload.simulate);
  return result.success ? result.data : undefined;
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
