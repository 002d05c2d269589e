/**
 * The local stack's one door: what `npm run bench`, the tests and the `tasks` CLI use of it.
 * Code outside devstack/ imports this file only, never a file behind it (test/unit/lib/layers.test.ts).
 * `npm start` and `npm run demo` are its entry points, start.ts and demo.ts.
 */

// DynamoDB Local and fauxqs with serverless.yml's tables and queues.
export { LOCAL_CREDENTIALS } from './localServer';
export { startLocalServers, type LocalServers, type LocalServersOptions } from './localServers';
export { createResources, type LocalResources } from './resources';
export { loadServerlessConfig, type ServerlessConfig } from './serverlessConfig';
export { intrinsicTarget } from './cloudFormation';

// Lambda's SQS event source mapping and API Gateway, as local stand-ins.
export { eventSourceMappings, lambdaInvoker, startPoller, type EventSourceMapping, type Invoker, type Poller } from './eventSourcePoller';
export type { InvocationOutcome } from './sqsEvent';
export { startApiGateway, type ApiGateway } from './apiGateway';
export { matchRoute, type ApiRoute } from './apiGatewayRoutes';

// `npm start` as a child process, and what a running one records for the CLI and the demo.
export { startStackProcess, type StackProcess } from './stackProcess';
export { readStackInfo } from './stackFile';

// Process groups.
export { processesWithEnv, spawnManaged } from './processes';

// The demo's option parsing and submission (its tests drive them against the CLI's fake API).
export { parseOptions as parseDemoOptions, submitTasks as submitDemoTasks, type DemoApi, type SubmitAnswer } from './demo';
