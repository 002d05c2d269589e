import { z } from 'zod';
import type { BackoffPolicy } from './domain/backoff';
import { ConfigError } from './domain/errors';
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS } from './domain/retention';
import { DEFAULT_INDEX_SHARDS, MAX_INDEX_SHARDS } from './domain/shards';
import { LOG_LEVELS, type LogLevelName } from './adapters/logger';

export interface Config {
  stage: string;
  serviceName: string;
  /** Powertools log level (POWERTOOLS_LOG_LEVEL, the `logLevel` param): what the logger writes. */
  logLevel: LogLevelName;
  /** CloudWatch namespace of the pipeline's metrics: one per service and stage. */
  metricsNamespace: string;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  failureRate: number;
  /** 1 try + 2 retries. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** How long a PROCESSING claim is honoured before another delivery may take it over. */
  leaseSeconds: number;
  /** Lets a payload's `simulate` field force the outcome; refused in production stages. */
  allowSimulationOverride: boolean;
  /** How long past its due time a task may wait before the reconciler re-sends its message. */
  reconcileGraceSeconds: number;
  /** Largest accepted POST /tasks body; escaped (at most 3x) it still fits a 1 MiB SQS message. */
  maxBodyBytes: number;
  /** HMAC key of listing cursors: a client can resume a listing, not forge one. */
  cursorSigningKey: string;
  /** X-Ray subsegments for the SDK calls (Powertools Tracer); off unless the stage turns it on. */
  tracingEnabled: boolean;
  /** How long an attempt of the default type may run (its policy's timeoutSeconds). */
  attemptTimeoutSeconds: number;
  /** The processor function's timeout: every task type's attempt timeout must fit inside it. */
  processorTimeoutSeconds: number;
  /** Lets webhook tasks call http://127.0.0.1 (the local stage's tests and demo); refused in production stages. */
  allowLocalWebhooks: boolean;
  /** Shards of each phase of the byPhase index (INDEX_SHARDS): each takes 1/N of the phase's index writes. */
  indexShards: number;
  /** Days a finished task is kept before DynamoDB's TTL deletes it (RETENTION_DAYS); 0 keeps tasks forever. */
  retentionDays: number;
  /** Whether SUCCEEDED tasks stay in the byPhase index (INDEX_SUCCEEDED); false saves an index write per task, and they cannot be listed. */
  indexSucceeded: boolean;
}

/** Stage names treated as production: the outcome override can never be enabled there. */
export const PRODUCTION_STAGES: readonly string[] = ['prod', 'production', 'prd', 'live'];
export const MAX_ATTEMPTS = 3;
export const MAX_DELAY_SECONDS = 900;
export const MAX_BODY_BYTES = 240 * 1024;
/** The service name when POWERTOOLS_SERVICE_NAME is unset (tests, scripts). */
export const DEFAULT_SERVICE_NAME = 'task-pipeline';

type Env = Record<string, string | undefined>;

/** Variables serverless writes for an unset param arrive empty: for a variable with a default, empty is unset. */
const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

const isSet = (value: unknown): value is string => typeof value === 'string' && value !== '' && value !== '[object Object]';

/** A variable every deployment sets; offline, an unresolved CloudFormation reference arrives as '[object Object]'. */
function required(name: string) {
  // abort: false lets the production-stage rule below run in spite of another missing variable.
  return z.custom<string>(isSet, { error: `environment variable ${name} is required`, params: { name }, abort: false });
}

/** A number in [min, max] (an integer if asked), `fallback` when unset. */
function number(name: string, fallback: number, min: number, max: number, integer = false) {
  const fits = (raw: string) => {
    const value = Number(raw);
    return raw.trim() !== '' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  };
  const rule = z.string().superRefine((raw, ctx) => {
    if (!fits(raw))
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got '${raw}'`,
        params: { name, raw },
      });
  });
  return z.preprocess(emptyAsUnset, rule.transform(Number).default(fallback));
}

/** Shortest signing key accepted: 128 bits of base64 or hex. */
const MIN_SIGNING_KEY_LENGTH = 22;

function signingKey(name: string) {
  return z.custom<string>((value) => isSet(value) && value.length >= MIN_SIGNING_KEY_LENGTH, {
    error: (issue) =>
      isSet(issue.input) ? `${name} must be at least ${MIN_SIGNING_KEY_LENGTH} characters` : `environment variable ${name} is required`,
    params: { name },
    abort: false,
  });
}

/** One of Powertools' log levels in any case, INFO when unset. */
function logLevel(name: string) {
  const rule = z.string().superRefine((raw, ctx) => {
    if (!LOG_LEVELS.some((level) => level === raw.toUpperCase()))
      ctx.addIssue({ code: 'custom', message: `${name} must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`, params: { name, raw } });
  });
  return z.preprocess(
    emptyAsUnset,
    rule.default('INFO').transform((raw) => raw.toUpperCase() as LogLevelName),
  );
}

/** 'true' or 'false' in any case, `fallback` (false) when unset. */
function flag(name: string, fallback = false) {
  const bool = z.enum(['true', 'false'], { error: (issue) => `${name} must be true or false, got '${String(issue.input)}'` });
  return z
    .string()
    .default(String(fallback))
    .transform((raw) => raw.toLowerCase())
    .pipe(bool)
    .transform((raw) => raw === 'true');
}

/**
 * The environment the functions read, in the order its problems are reported (the first one
 * stops the function). The defaults are what an environment without the variable gets (tests,
 * scripts); deployed stages always set them from serverless.yml's params, which are the source
 * of truth for a stage's values (test/template/layout.test.ts checks the two agree).
 */
const EnvSchema = z
  .object({
    STAGE: required('STAGE'),
    BACKOFF_JITTER: z
      .enum(['none', 'full'], { error: (issue) => `BACKOFF_JITTER must be 'none' or 'full', got '${String(issue.input)}'` })
      .default('none'),
    ALLOW_SIMULATION_OVERRIDE: flag('ALLOW_SIMULATION_OVERRIDE'),
    POWERTOOLS_SERVICE_NAME: z.preprocess(emptyAsUnset, z.string().default(DEFAULT_SERVICE_NAME)),
    POWERTOOLS_LOG_LEVEL: logLevel('POWERTOOLS_LOG_LEVEL'),
    POWERTOOLS_METRICS_NAMESPACE: z.preprocess(emptyAsUnset, z.string().optional()),
    TASKS_TABLE: required('TASKS_TABLE'),
    TASKS_QUEUE_URL: required('TASKS_QUEUE_URL'),
    DLQ_URL: required('DLQ_URL'),
    FAILURE_RATE: number('FAILURE_RATE', 0.3, 0, 1),
    BACKOFF_BASE_SECONDS: number('BACKOFF_BASE_SECONDS', 10, 0, MAX_DELAY_SECONDS, true),
    LEASE_SECONDS: number('LEASE_SECONDS', 30, 1, 43200, true),
    RECONCILE_GRACE_SECONDS: number('RECONCILE_GRACE_SECONDS', 900, 1, 86400, true),
    CURSOR_SIGNING_KEY: signingKey('CURSOR_SIGNING_KEY'),
    POWERTOOLS_TRACE_ENABLED: flag('POWERTOOLS_TRACE_ENABLED'),
    ATTEMPT_TIMEOUT_SECONDS: number('ATTEMPT_TIMEOUT_SECONDS', 10, 0.1, 900),
    PROCESSOR_TIMEOUT_SECONDS: number('PROCESSOR_TIMEOUT_SECONDS', 15, 1, 900, true),
    WEBHOOK_ALLOW_LOCAL_HTTP: flag('WEBHOOK_ALLOW_LOCAL_HTTP'),
    INDEX_SHARDS: number('INDEX_SHARDS', DEFAULT_INDEX_SHARDS, 1, MAX_INDEX_SHARDS, true),
    RETENTION_DAYS: number('RETENTION_DAYS', DEFAULT_RETENTION_DAYS, 0, MAX_RETENTION_DAYS, true),
    INDEX_SUCCEEDED: flag('INDEX_SUCCEEDED', true),
  })
  .superRefine(
    (env, ctx) => {
      if (env.ALLOW_SIMULATION_OVERRIDE && PRODUCTION_STAGES.includes(env.STAGE.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['ALLOW_SIMULATION_OVERRIDE'],
          message: `ALLOW_SIMULATION_OVERRIDE must not be enabled in production stage '${env.STAGE}'`,
        });
      if (env.WEBHOOK_ALLOW_LOCAL_HTTP && PRODUCTION_STAGES.includes(env.STAGE.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['WEBHOOK_ALLOW_LOCAL_HTTP'],
          message: `WEBHOOK_ALLOW_LOCAL_HTTP must not be enabled in production stage '${env.STAGE}'`,
        });
    },
    // Checked as soon as the two variables it reads are valid, so it is reported in their place.
    {
      when: ({ issues }) =>
        !issues.some(
          (issue) =>
            issue.path?.[0] === 'STAGE' ||
            issue.path?.[0] === 'ALLOW_SIMULATION_OVERRIDE' ||
            issue.path?.[0] === 'WEBHOOK_ALLOW_LOCAL_HTTP',
        ),
    },
  );

const VARIABLES: readonly PropertyKey[] = Object.keys(EnvSchema.shape);

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: Env = process.env): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const position = (issue: z.core.$ZodIssue) => VARIABLES.indexOf(issue.path[0]);
    const [first] = result.error.issues.toSorted((a, b) => position(a) - position(b));
    throw new ConfigError(first.message, { context: first.code === 'custom' ? first.params : undefined });
  }
  const e = result.data;
  return {
    stage: e.STAGE,
    serviceName: e.POWERTOOLS_SERVICE_NAME,
    logLevel: e.POWERTOOLS_LOG_LEVEL,
    metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE ?? `${e.POWERTOOLS_SERVICE_NAME}/${e.STAGE}`,
    tableName: e.TASKS_TABLE,
    queueUrl: e.TASKS_QUEUE_URL,
    dlqUrl: e.DLQ_URL,
    failureRate: e.FAILURE_RATE,
    maxAttempts: MAX_ATTEMPTS,
    backoff: { baseSeconds: e.BACKOFF_BASE_SECONDS, maxDelaySeconds: MAX_DELAY_SECONDS, jitter: e.BACKOFF_JITTER },
    leaseSeconds: e.LEASE_SECONDS,
    allowSimulationOverride: e.ALLOW_SIMULATION_OVERRIDE,
    reconcileGraceSeconds: e.RECONCILE_GRACE_SECONDS,
    maxBodyBytes: MAX_BODY_BYTES,
    cursorSigningKey: e.CURSOR_SIGNING_KEY,
    tracingEnabled: e.POWERTOOLS_TRACE_ENABLED,
    attemptTimeoutSeconds: e.ATTEMPT_TIMEOUT_SECONDS,
    processorTimeoutSeconds: e.PROCESSOR_TIMEOUT_SECONDS,
    allowLocalWebhooks: e.WEBHOOK_ALLOW_LOCAL_HTTP,
    indexShards: e.INDEX_SHARDS,
    retentionDays: e.RETENTION_DAYS,
    indexSucceeded: e.INDEX_SUCCEEDED,
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read once. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
