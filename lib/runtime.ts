import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { getConfig } from './config';
import type { Deps } from './deps';
import { logger } from './logger';
import { EmfMetrics } from './metrics';
import { SqsTaskQueue } from './taskQueue';
import { DynamoTaskStore } from './taskStore';

let deps: Deps | undefined;

/**
 * The production wiring, built once per Lambda container on first use. The SDK reads
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS itself, so the same code runs on AWS and locally.
 */
export function defaultDeps(): Deps {
  if (!deps) {
    const config = getConfig();
    deps = {
      config,
      store: new DynamoTaskStore(new DynamoDBClient({}), config.tableName, config.cursorSigningKey),
      queue: new SqsTaskQueue(new SQSClient({}), config),
      log: logger,
      metrics: new EmfMetrics(config.metricsNamespace, config.serviceName),
      clock: () => new Date(),
      random: Math.random,
      newId: ulid,
    };
  }
  return deps!;
}
