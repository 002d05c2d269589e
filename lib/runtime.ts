import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { ulid } from 'ulid';
import { DEFAULT_SERVICE_NAME, getConfig, type Config } from './config';
import type { Deps } from './deps';
import { createLog, type RootLog } from './adapters/logger';
import { EmfMetrics } from './adapters/metrics';
import { SqsTaskQueue } from './adapters/taskQueue';
import { DynamoTaskStore, type TaskStoreOptions } from './adapters/taskStore';
import { unfinishedLifetimeSeconds } from './domain/retention';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT, registryFor } from './types/registry';

/** What the wiring needs of a tracer: wrap an SDK client so each call becomes an X-Ray subsegment. */
export type ClientTracer = Pick<Tracer, 'captureAWSv3Client'>;

let deps: Deps | undefined;
let boot: RootLog | undefined;

/**
 * The Powertools Tracer when `config.tracingEnabled`, else undefined. Loaded on demand: the
 * X-Ray SDK it pulls in is cold-start time that a function without tracing should not pay.
 * Outside Lambda (local stack, tests) the Tracer disables itself, so nothing looks for an
 * X-Ray daemon there.
 */
export function createTracer(config: Config): Tracer | undefined {
  if (!config.tracingEnabled) return undefined;
  // A require, not an import: the X-Ray SDK loads only when tracing is on.
  const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  // SDK calls are captured per client below; patching every https request would trace them twice.
  return new Tracer({ serviceName: config.serviceName, captureHTTPsRequests: false });
}

/**
 * How the stage's store keys its index and keeps tasks. The payload item outlives the state
 * item by the longest a task of any type can stay unfinished (docs/operations.md#retention).
 */
export function storeOptions(config: Config): TaskStoreOptions {
  return {
    cursorKey: config.cursorSigningKey,
    indexShards: config.indexShards,
    retentionDays: config.retentionDays,
    indexSucceeded: config.indexSucceeded,
    unfinishedLifetimeSeconds: unfinishedLifetimeSeconds({
      maxAttempts: MAX_ATTEMPTS_LIMIT,
      maxDelaySeconds: MAX_DELAY_LIMIT,
      leaseSeconds: config.leaseSeconds,
      reconcileGraceSeconds: config.reconcileGraceSeconds,
    }),
  };
}

/** The use cases' dependencies on real SDK clients, each wrapped by `tracer` when one is given. */
export function createDeps(config: Config, tracer?: ClientTracer): Deps {
  const traced = <T>(client: T): T => (tracer ? tracer.captureAWSv3Client(client) : client);
  return {
    config,
    store: new DynamoTaskStore(traced(new DynamoDBClient({})), config.tableName, storeOptions(config)),
    queue: new SqsTaskQueue(traced(new SQSClient({})), config),
    types: registryFor(config, Math.random),
    log: createLog(config),
    metrics: new EmfMetrics(config.metricsNamespace, config.serviceName),
    clock: () => new Date(),
    random: Math.random,
    newId: ulid,
  };
}

/**
 * The production wiring, built once per Lambda container on first use. The SDK reads
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS itself, so the same code runs on AWS and locally.
 */
export function defaultDeps(): Deps {
  if (!deps) {
    const config = getConfig();
    deps = createDeps(config, createTracer(config));
  }
  return deps;
}

/**
 * The logger of a request whose dependencies could not be built: the configuration itself
 * failed, so it has Powertools' settings with the default service name and level.
 */
export function bootLog(): RootLog {
  boot ??= createLog({ serviceName: DEFAULT_SERVICE_NAME, logLevel: 'INFO' });
  return boot;
}
