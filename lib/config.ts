import type { BackoffPolicy } from './domain/backoff';
import { ConfigError } from './domain/errors';
import { LOG_LEVELS, type LogLevelName } from './adapters/logger';

export interface Config {
  stage: string;
  /** The `service` key of every log line and the service dimension of the metrics. */
  serviceName: string;
  /** The lowest level logged. */
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
}

/** Stage names treated as production: the outcome override can never be enabled there. */
export const PRODUCTION_STAGES: readonly string[] = ['prod', 'production', 'prd', 'live'];
/** The service name when POWERTOOLS_SERVICE_NAME is unset. */
export const DEFAULT_SERVICE_NAME = 'task-pipeline';
export const MAX_ATTEMPTS = 3;
export const MAX_DELAY_SECONDS = 900;
export const MAX_BODY_BYTES = 240 * 1024;

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '' || value === '[object Object]') {
    throw new ConfigError(`environment variable ${name} is required`, { context: { name } });
  }
  return value;
}

function number(env: Env, name: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got '${raw}'`, {
      context: { name, raw },
    });
  }
  return value;
}

/** Shortest signing key accepted: 128 bits of base64 or hex. */
const MIN_SIGNING_KEY_LENGTH = 22;

function signingKey(env: Env, name: string): string {
  const value = required(env, name);
  if (value.length < MIN_SIGNING_KEY_LENGTH)
    throw new ConfigError(`${name} must be at least ${MIN_SIGNING_KEY_LENGTH} characters`, { context: { name } });
  return value;
}

function logLevel(env: Env, name: string): LogLevelName {
  const raw = env[name] || 'INFO';
  const level = LOG_LEVELS.find((l) => l === raw.toUpperCase());
  if (!level) throw new ConfigError(`${name} must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`, { context: { name, raw } });
  return level;
}

function flag(env: Env, name: string): boolean {
  const raw = (env[name] ?? 'false').toLowerCase();
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be true or false, got '${raw}'`);
  return raw === 'true';
}

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: Env = process.env): Config {
  const stage = required(env, 'STAGE');
  const jitter = env.BACKOFF_JITTER ?? 'none';
  if (jitter !== 'none' && jitter !== 'full') {
    throw new ConfigError(`BACKOFF_JITTER must be 'none' or 'full', got '${jitter}'`);
  }
  const allowSimulationOverride = flag(env, 'ALLOW_SIMULATION_OVERRIDE');
  if (allowSimulationOverride && PRODUCTION_STAGES.includes(stage.toLowerCase())) {
    throw new ConfigError(`ALLOW_SIMULATION_OVERRIDE must not be enabled in production stage '${stage}'`);
  }
  const allowLocalWebhooks = flag(env, 'WEBHOOK_ALLOW_LOCAL_HTTP');
  if (allowLocalWebhooks && PRODUCTION_STAGES.includes(stage.toLowerCase())) {
    throw new ConfigError(`WEBHOOK_ALLOW_LOCAL_HTTP must not be enabled in production stage '${stage}'`);
  }
  const serviceName = env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;
  return {
    stage,
    serviceName,
    logLevel: logLevel(env, 'POWERTOOLS_LOG_LEVEL'),
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE || `${serviceName}/${stage}`,
    tableName: required(env, 'TASKS_TABLE'),
    queueUrl: required(env, 'TASKS_QUEUE_URL'),
    dlqUrl: required(env, 'DLQ_URL'),
    failureRate: number(env, 'FAILURE_RATE', 0.3, 0, 1),
    maxAttempts: MAX_ATTEMPTS,
    backoff: {
      baseSeconds: number(env, 'BACKOFF_BASE_SECONDS', 10, 0, MAX_DELAY_SECONDS, true),
      maxDelaySeconds: MAX_DELAY_SECONDS,
      jitter,
    },
    leaseSeconds: number(env, 'LEASE_SECONDS', 30, 1, 43200, true),
    allowSimulationOverride,
    reconcileGraceSeconds: number(env, 'RECONCILE_GRACE_SECONDS', 900, 1, 86400, true),
    maxBodyBytes: MAX_BODY_BYTES,
    cursorSigningKey: signingKey(env, 'CURSOR_SIGNING_KEY'),
    tracingEnabled: flag(env, 'POWERTOOLS_TRACE_ENABLED'),
    attemptTimeoutSeconds: number(env, 'ATTEMPT_TIMEOUT_SECONDS', 10, 0.1, 900),
    processorTimeoutSeconds: number(env, 'PROCESSOR_TIMEOUT_SECONDS', 15, 1, 900, true),
    allowLocalWebhooks,
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read once. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
