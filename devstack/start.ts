import crypto from 'node:crypto';
import { startApiGateway, type ApiGateway } from './apiGateway';
import { eventSourceMappings, lambdaInvoker, startPoller, type EventSourceMapping, type Poller } from './eventSourcePoller';
import { startLocalServers, sdkEnv, type LocalServers } from './localServers';
import { offlineLineFormatter, palette } from './logLines';
import { LocalStackError, assertPortFree, freePort, onShutdown, type ManagedProcess } from './processes';
import { startServerlessOffline } from './serverlessOffline';
import { removeStackInfo, writeStackInfo } from './stackFile';

const STAGE = 'local';
const colors = palette(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
const verbose = process.env.LOCAL_VERBOSE === '1';

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LocalStackError(`${name} must be a TCP port (1-65535), got '${raw}'`);
  return port;
}

function envPositiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new LocalStackError(`${name} must be a positive integer, got '${process.env[name]}'`);
  return value;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const ports = {
    dynamoDb: envPort('LOCAL_DYNAMODB_PORT', 8000),
    sqs: envPort('LOCAL_SQS_PORT', 9324),
    http: envPort('LOCAL_HTTP_PORT', 3000),
    lambda: envPort('LOCAL_LAMBDA_PORT', 3002),
  };
  // Lambda starts five pollers per SQS mapping (then scales); the mapping's maximumConcurrency caps it.
  const pollerConcurrency = envPositiveInt('LOCAL_POLLER_CONCURRENCY', 5);
  const apiKey = process.env.LOCAL_API_KEY || crypto.randomBytes(16).toString('hex');
  console.log(`API key: ${apiKey} (${process.env.LOCAL_API_KEY ? 'from LOCAL_API_KEY' : 'generated; set LOCAL_API_KEY to choose one'})`);

  await assertPortFree(ports.http, 'HTTP API of the local API Gateway', 'LOCAL_HTTP_PORT');
  await assertPortFree(ports.lambda, 'Lambda API of serverless-offline', 'LOCAL_LAMBDA_PORT');
  // serverless-offline cannot run without its own HTTP API, which is not API Gateway: it gets a
  // free port nobody is told about, and the local API Gateway serves LOCAL_HTTP_PORT.
  const offlineHttpPort = await freePort();
  const endpoints = { dynamoDb: `http://127.0.0.1:${ports.dynamoDb}`, sqs: `http://127.0.0.1:${ports.sqs}` };
  // What serverless.yml's local stage reads: the same values for the config, the servers and offline.
  const ymlEnv = {
    LOCAL_API_KEY: apiKey,
    // Cursors of one run's listings need not outlive it.
    LOCAL_CURSOR_SIGNING_KEY: process.env.LOCAL_CURSOR_SIGNING_KEY || crypto.randomBytes(24).toString('base64url'),
    LOCAL_OFFLINE_HTTP_PORT: String(offlineHttpPort),
    LOCAL_LAMBDA_PORT: String(ports.lambda),
    LOCAL_SQS_ENDPOINT: endpoints.sqs,
  };
  const formatLine = offlineLineFormatter({ colors, verbose });

  let servers: LocalServers | undefined;
  let offline: ManagedProcess | undefined;
  let pollers: Poller[] = [];
  let invoker: ReturnType<typeof lambdaInvoker> | undefined;
  let gatewayInvoker: ReturnType<typeof lambdaInvoker> | undefined;
  let gateway: ApiGateway | undefined;
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    removeStackInfo();
    await gateway?.stop();
    invoker?.destroy();
    gatewayInvoker?.destroy();
    await Promise.all([...pollers.map((poller) => poller.stop()), offline?.stop(3000), servers?.stop()]);
  };

  // serverless-offline gives each function AWS_REGION = provider.region; this one is for serverless itself.
  const region = 'us-east-1';
  // Both take seconds: start them together, and cancel the other when one fails (e.g. no java).
  const cancel = new AbortController();
  const [serversResult, offlineResult] = await Promise.allSettled([
    startLocalServers({ stage: STAGE, dynamoDbPort: ports.dynamoDb, sqsPort: ports.sqs, configEnv: ymlEnv }).catch((error: unknown) => {
      cancel.abort();
      throw error;
    }),
    startServerlessOffline({
      stage: STAGE,
      env: { ...ymlEnv, ...sdkEnv(region, endpoints) },
      onLine: (line) => {
        const formatted = formatLine(line);
        if (formatted !== undefined) console.log(formatted);
      },
      signal: cancel.signal,
    }),
  ]);
  if (serversResult.status === 'fulfilled') servers = serversResult.value;
  if (offlineResult.status === 'fulfilled') offline = offlineResult.value;
  if (serversResult.status === 'rejected' || offlineResult.status === 'rejected') {
    await stopAll();
    throw serversResult.status === 'rejected' ? serversResult.reason : (offlineResult as PromiseRejectedResult).reason;
  }
  const stack = servers!;
  for (const warning of stack.warnings) console.log(colors.yellow(`warning: ${warning}`));

  const lambdaEndpoint = `http://127.0.0.1:${ports.lambda}`;
  // Lambda's event source retries an invoke that failed in transport; API Gateway answers 5xx instead.
  invoker = lambdaInvoker(lambdaEndpoint, stack.region, {
    onRetry: (line) => console.log(`${'poller'.padEnd(12)} | ${colors.yellow(line)}`),
  });
  gatewayInvoker = lambdaInvoker(lambdaEndpoint, stack.region, { attempts: 1 });
  try {
    gateway = await startApiGateway({
      config: stack.config,
      stage: STAGE,
      port: ports.http,
      invoke: gatewayInvoker.invoke,
      log: verbose ? (line) => console.log(`${colors.dim(`${'api-gateway'.padEnd(12)} |`)} ${colors.dim(line)}`) : undefined,
      warn: (line) => console.log(`${'api-gateway'.padEnd(12)} | ${colors.yellow(line)}`),
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
  for (const warning of gateway.warnings) console.log(colors.yellow(`warning: ${warning}`));
  const mappings = eventSourceMappings(stack.config, stack.resources, pollerConcurrency);
  pollers = mappings.map((mapping) =>
    startPoller(mapping, stack.clients.sqs, invoker!.invoke, (line) =>
      console.log(`${mapping.functionKey.padEnd(12)} | ${colors.yellow(`poller: ${line}`)}`),
    ),
  );

  // Registered last so it runs first on Ctrl-C: pollers stop before the servers they poll.
  onShutdown(async () => {
    console.log(colors.dim('\nstopping: API Gateway, pollers, serverless-offline, DynamoDB Local, fauxqs'));
    await stopAll();
  });
  void offline!.exited.then((code) => {
    if (stopping) return;
    console.error(colors.red(`serverless offline exited (${code}); stopping the local stack`));
    void stopAll().finally(() => process.exit(1));
  });

  const httpUrl = `http://127.0.0.1:${ports.http}`;
  writeStackInfo({ pid: process.pid, baseUrl: httpUrl, apiKey });
  printBanner({ seconds: (Date.now() - startedAt) / 1000, httpUrl, lambdaPort: ports.lambda, apiKey, stack, gateway, mappings });
}

/** What is running where, and what to try first. */
function printBanner(info: {
  seconds: number;
  httpUrl: string;
  lambdaPort: number;
  apiKey: string;
  stack: LocalServers;
  gateway: ApiGateway;
  mappings: EventSourceMapping[];
}): void {
  const { httpUrl, apiKey, stack, gateway, mappings } = info;
  const lines = [
    '',
    colors.green(`Local stack ready in ${info.seconds.toFixed(1)}s (stage ${STAGE})`),
    `  HTTP API        ${httpUrl}   header x-api-key: ${apiKey}   (local API Gateway: routes, keys and gateway responses of serverless.yml)`,
    `  routes          ${gateway.routes.map((route) => `${route.method} ${route.resourcePath}`).join(', ')}`,
    `  console         ${httpUrl}/console   (in a browser; asks for the key above)`,
    `  Lambda API      http://127.0.0.1:${info.lambdaPort}   (serverless-offline)`,
    `  DynamoDB Local  ${stack.dynamoDb.endpoint}   tables: ${Object.values(stack.resources.tables)
      .map((t) => t.name)
      .join(', ')}`,
    `  SQS (fauxqs)    ${stack.sqs.endpoint}   queues: ${Object.values(stack.resources.queues)
      .map((q) => q.name)
      .join(', ')}`,
    ...mappings.map(
      (m) =>
        `  poller          ${m.queue.name} -> ${m.functionKey} (batchSize ${m.batchSize}, window ${m.maximumBatchingWindowSeconds}s, ${m.concurrency} concurrent${m.reportBatchItemFailures ? ', ReportBatchItemFailures' : ''})`,
    ),
    `Try: curl -s -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' -d '{"taskId":"hello-1","payload":{}}' ${httpUrl}/tasks`,
    `     npm run demo -- --tasks 200   (URL and key from .local/stack.json)`,
    'Failed tasks: lines tagged monitorDlq with message TASK_FAILED (red). Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  const message = error instanceof LocalStackError ? error.message : ((error as Error).stack ?? String(error));
  console.error(colors.red(`npm start: ${message}`));
  process.exit(1);
});
