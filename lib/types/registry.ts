import type { Config } from '../config';
import { ConfigError, type FieldProblem } from '../domain/errors';
import { DEFAULT_POLICY, type TaskPolicy, type TaskType } from './contract';
import { simulatedType, type SimulatedOptions } from './simulated';
import { webhookType } from './webhook';
import { wordCount } from './wordCount';

/** What the registry needs to build and check the types. */
export interface RegistryOptions {
  simulated: SimulatedOptions;
  /** The local stage lets webhooks call http://127.0.0.1 (tests, the demo); never on AWS stages. */
  allowLocalWebhooks: boolean;
  /** The processor function's timeout: every attempt's timeout must end well before it. */
  processorTimeoutSeconds: number;
  /** How long a claim is honoured: it must outlive the longest attempt. */
  leaseSeconds: number;
}

/**
 * The task types this pipeline runs: adding a type is one file in lib/types/ and one line here.
 * The first is the default, used when a submit names no type.
 */
export function taskTypes(options: RegistryOptions): TaskType[] {
  return [simulatedType(options.simulated), webhookType({ allowLocalHttp: options.allowLocalWebhooks }), wordCount];
}

/** Seconds an attempt's timeout must leave before the function's: the outcome's writes and sends. */
export const ATTEMPT_MARGIN_SECONDS = 3;
/** The most attempts a type may ask for. */
export const MAX_ATTEMPTS_LIMIT = 10;
/** SQS's largest DelaySeconds. */
export const MAX_DELAY_LIMIT = 900;

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** A type with its policy completed by the defaults and checked. */
export interface RegisteredType extends TaskType {
  policy: TaskPolicy;
}

/** The problems with one type's policy, each naming the field. */
export function policyProblems(
  policy: TaskPolicy,
  limits: Pick<RegistryOptions, 'processorTimeoutSeconds' | 'leaseSeconds'>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const integerIn = (field: keyof TaskPolicy, min: number, max: number) => {
    const value = policy[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      problems.push({ field, problem: `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}` });
  };
  integerIn('maxAttempts', 1, MAX_ATTEMPTS_LIMIT);
  integerIn('baseSeconds', 0, MAX_DELAY_LIMIT);
  integerIn('maxDelaySeconds', 0, MAX_DELAY_LIMIT);
  if (policy.jitter !== 'none' && policy.jitter !== 'full')
    problems.push({ field: 'jitter', problem: `must be 'none' or 'full', got ${JSON.stringify(policy.jitter)}` });
  const longest = limits.processorTimeoutSeconds - ATTEMPT_MARGIN_SECONDS;
  const timeout = policy.timeoutSeconds;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > longest) {
    problems.push({
      field: 'timeoutSeconds',
      problem: `must be more than 0 and at most ${longest} (the processor's timeout of ${limits.processorTimeoutSeconds} s less ${ATTEMPT_MARGIN_SECONDS} s to record the outcome), got ${JSON.stringify(timeout)}`,
    });
  } else if (limits.leaseSeconds <= timeout) {
    problems.push({
      field: 'timeoutSeconds',
      problem: `must be less than the lease (LEASE_SECONDS = ${limits.leaseSeconds}), got ${timeout}`,
    });
  }
  return problems;
}

/** The registered types by name; built once per container from the configuration. */
export class TaskTypeRegistry {
  private readonly byName: Map<string, RegisteredType>;
  /** The type of a task submitted without one. */
  readonly defaultType: string;

  /** Completes and checks every type: ConfigError naming the type and field of the first bad policy. */
  constructor(types: TaskType[], limits: Pick<RegistryOptions, 'processorTimeoutSeconds' | 'leaseSeconds'>) {
    if (types.length === 0) throw new ConfigError('the task type registry is empty');
    this.byName = new Map();
    for (const type of types) {
      if (!TYPE_NAME.test(type.name))
        throw new ConfigError(
          `task type name ${JSON.stringify(type.name)} must be 1-40 letters, digits, '-' or '_', starting with a letter`,
        );
      if (this.byName.has(type.name)) throw new ConfigError(`task type '${type.name}' is registered twice`);
      const policy: TaskPolicy = { ...DEFAULT_POLICY, ...type.policy };
      const [problem] = policyProblems(policy, limits);
      if (problem)
        throw new ConfigError(`task type '${type.name}': policy.${problem.field} ${problem.problem}`, {
          context: { type: type.name, field: problem.field },
        });
      this.byName.set(type.name, { ...type, policy });
    }
    this.defaultType = types[0].name;
  }

  get(name: string): RegisteredType | undefined {
    return this.byName.get(name);
  }

  /** Every registered type's name, the default first. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The largest maxAttempts of any type: a message's attempt above it cannot be ours. */
  maxAttempts(): number {
    return Math.max(...[...this.byName.values()].map((type) => type.policy.maxAttempts));
  }
}

/** The stage's registry: every type of taskTypes(), checked. */
export function createRegistry(options: RegistryOptions): TaskTypeRegistry {
  return new TaskTypeRegistry(taskTypes(options), options);
}

/** The registry a configuration describes; `random` drives the simulation (seeded in tests). */
export function registryFor(config: Config, random: () => number): TaskTypeRegistry {
  return createRegistry(registryOptions(config, random));
}

/** What a configuration says of the types: the default type's policy, local webhooks, the limits. */
export function registryOptions(config: Config, random: () => number): RegistryOptions {
  return {
    simulated: {
      failureRate: config.failureRate,
      allowOverride: config.allowSimulationOverride,
      random,
      policy: {
        maxAttempts: config.maxAttempts,
        baseSeconds: config.backoff.baseSeconds,
        maxDelaySeconds: config.backoff.maxDelaySeconds,
        jitter: config.backoff.jitter,
        timeoutSeconds: config.attemptTimeoutSeconds,
      },
    },
    allowLocalWebhooks: config.allowLocalWebhooks,
    processorTimeoutSeconds: config.processorTimeoutSeconds,
    leaseSeconds: config.leaseSeconds,
  };
}
