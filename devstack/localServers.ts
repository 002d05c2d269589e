import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resolveIntrinsics } from './cloudFormation';
import { startDynamoDbLocal } from './dynamoDbLocal';
import { startFauxqs } from './fauxqsServer';
import { startFauxqsProcess } from './fauxqsProcess';
import { LOCAL_CREDENTIALS, type LocalServer } from './localServer';
import { freePort, onShutdown } from './processes';
import { createResources, type LocalResources } from './resources';
import { loadServerlessConfig, type ServerlessConfig } from './serverlessConfig';

export interface LocalServersOptions {
  /** Stage whose serverless.yml resources are created; default 'test'. */
  stage?: string;
  /** 0 or absent: a free port chosen at run time. */
  dynamoDbPort?: number;
  sqsPort?: number;
  /** Extra variables for resolving serverless.yml (LOCAL_SQS_ENDPOINT is always set). */
  configEnv?: Record<string, string>;
  /** Runs fauxqs in a process of its own (pausable with SIGSTOP) instead of in this one. */
  sqsInOwnProcess?: boolean;
}

export interface LocalServers {
  stage: string;
  region: string;
  config: ServerlessConfig;
  dynamoDb: LocalServer;
  sqs: LocalServer;
  resources: LocalResources;
  clients: { dynamoDb: DynamoDBClient; sqs: SQSClient };
  /**
   * Environment of a function of this stage run against these servers: provider.environment
   * with Ref/GetAtt resolved to the local resources, plus region, dummy credentials and the
   * AWS_ENDPOINT_URL_* variables the SDK reads.
   */
  env: Record<string, string>;
  /** Lines about yml properties without local meaning or env values that do not match. */
  warnings: string[];
  stop(): Promise<void>;
}

/** SDK variables that point every client created with `{}` at the local servers. */
export function sdkEnv(region: string, endpoints: { dynamoDb: string; sqs: string }): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
  };
}

/** Logical ids of the template's Secrets Manager secrets. */
function secretIds(config: ServerlessConfig): string[] {
  const all = (config.resources?.Resources ?? {}) as Record<string, { Type?: string }>;
  return Object.entries(all)
    .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
    .map(([id]) => id);
}

function functionEnvironment(
  config: ServerlessConfig,
  resources: LocalResources,
  sqsEndpoint: string,
  warnings: string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  const queueUrls = new Set(Object.values(resources.queues).map((queue) => queue.url));
  const secrets = secretIds(config);
  for (const [name, raw] of Object.entries(config.provider.environment ?? {})) {
    // A value resolved from a generated secret at deploy time: locally, a random one per run.
    if (secrets.some((id) => JSON.stringify(raw).includes(JSON.stringify({ Ref: id })))) {
      env[name] = randomBytes(24).toString('base64url');
      continue;
    }
    const value = resolveIntrinsics(raw, resources.attributes);
    if (value !== null && typeof value === 'object') {
      warnings.push(`provider.environment.${name} is ${JSON.stringify(value)}, which has no local value; left unset`);
      continue;
    }
    env[name] = String(value);
    if (env[name].startsWith(`${sqsEndpoint}/`) && !queueUrls.has(env[name])) {
      warnings.push(`provider.environment.${name} is ${env[name]}, which is not the URL of a local queue (${[...queueUrls].join(', ')})`);
    }
  }
  return env;
}

/**
 * Starts DynamoDB Local and fauxqs, waits until both answer, and creates the tables and
 * queues of serverless.yml for `stage` on them. `stop()` (also run on SIGINT/SIGTERM and,
 * forcibly, on exit) leaves no process behind.
 */
export async function startLocalServers(options: LocalServersOptions = {}): Promise<LocalServers> {
  const stage = options.stage ?? 'test';
  const sqs = options.sqsInOwnProcess ? await startFauxqsProcess(options.sqsPort ?? 0) : await startFauxqs(options.sqsPort ?? 0);
  const started: LocalServer[] = [sqs];
  const stopAll = () => Promise.all(started.map((server) => server.stop())).then(() => undefined);
  try {
    const configEnv = { ...options.configEnv, LOCAL_SQS_ENDPOINT: sqs.endpoint };
    const dynamoDbPort = options.dynamoDbPort || (await freePort());
    // Both take seconds: overlap them, and fail as soon as either fails (e.g. no java).
    const dynamoDbStart = startDynamoDbLocal(dynamoDbPort);
    let dynamoDb: LocalServer;
    let config: ServerlessConfig;
    try {
      [dynamoDb, config] = await Promise.all([dynamoDbStart, loadServerlessConfig(stage, configEnv)]);
    } catch (error) {
      await dynamoDbStart.then(
        (server) => server.stop(),
        () => undefined,
      );
      throw error;
    }
    started.push(dynamoDb);

    const region = config.provider.region;
    const clients = {
      dynamoDb: new DynamoDBClient({ endpoint: dynamoDb.endpoint, region, credentials: LOCAL_CREDENTIALS }),
      sqs: new SQSClient({ endpoint: sqs.endpoint, region, credentials: LOCAL_CREDENTIALS }),
    };
    const resources = await createResources(config, clients, sqs.endpoint);
    const warnings = [...resources.warnings];
    const env = {
      ...functionEnvironment(config, resources, sqs.endpoint, warnings),
      ...sdkEnv(region, { dynamoDb: dynamoDb.endpoint, sqs: sqs.endpoint }),
    };

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        unregister();
        clients.dynamoDb.destroy();
        clients.sqs.destroy();
        await stopAll();
      })());
    const unregister = onShutdown(stop);
    return { stage, region, config, dynamoDb, sqs, resources, clients, env, warnings, stop };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
