import type { APIGatewayProxyEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Config } from '../../lib/config';
import type { DeadLetterMessage, TaskMessage, TaskState } from '../../lib/domain/task';

let counter = 0;

/** A valid configuration for tests: exact backoff (base 2 s), no jitter, override allowed. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    stage: 'test',
    serviceName: 'task-pipeline',
    logLevel: 'INFO',
    metricsNamespace: 'task-pipeline/test',
    tableName: 'tasks',
    queueUrl: 'http://queue.local/000000000000/tasks',
    dlqUrl: 'http://queue.local/000000000000/tasks-dlq',
    failureRate: 0.3,
    maxAttempts: 3,
    backoff: { baseSeconds: 2, maxDelaySeconds: 900, jitter: 'none' },
    leaseSeconds: 30,
    reconcileGraceSeconds: 60,
    allowSimulationOverride: true,
    maxBodyBytes: 240 * 1024,
    cursorSigningKey: 'test-cursor-signing-key-0123456789',
    tracingEnabled: false,
    attemptTimeoutSeconds: 10,
    processorTimeoutSeconds: 15,
    allowLocalWebhooks: true,
    indexShards: 4,
    retentionDays: 30,
    indexSucceeded: true,
    ...overrides,
  };
}

/** An API Gateway proxy event for POST /tasks with a JSON body. */
export function postTaskEvent(
  body: unknown,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): APIGatewayProxyEvent {
  return apiEvent('POST', '/tasks', typeof body === 'string' ? body : JSON.stringify(body), headers, null);
}

/** An API Gateway proxy event for POST /tasks/batch with a JSON body. */
export function postBatchEvent(
  body: unknown,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): APIGatewayProxyEvent {
  return apiEvent('POST', '/tasks/batch', typeof body === 'string' ? body : JSON.stringify(body), headers, null);
}

/** An API Gateway proxy event for GET /tasks/{taskId}. */
export function getTaskEvent(taskId: string): APIGatewayProxyEvent {
  return apiEvent('GET', `/tasks/${taskId}`, null, {}, { taskId });
}

function apiEvent(
  method: string,
  path: string,
  body: string | null,
  headers: Record<string, string>,
  pathParameters: Record<string, string> | null,
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: pathParameters ? '/tasks/{taskId}' : '/tasks',
    body,
    headers,
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/** A task message as the pipeline puts it on the task queue. */
export function taskMessage(overrides: Partial<TaskMessage> = {}): TaskMessage {
  return { taskId: 'task-1', type: 'simulated', attempt: 1, payload: { n: 1 }, correlationId: 'corr-1', ...overrides };
}

/** A dead-letter message as the processor sends it after the last attempt. */
export function deadLetterMessage(overrides: Partial<DeadLetterMessage> = {}): DeadLetterMessage {
  return {
    kind: 'DEAD_LETTERED',
    taskId: 'task-1',
    type: 'simulated',
    payload: { n: 1 },
    attempts: 3,
    error: { name: 'SimulatedFailure', message: 'simulated work failed' },
    failedAt: '2026-01-01T00:00:10.000Z',
    correlationId: 'corr-1',
    ...overrides,
  };
}

/** An SQS record carrying a body (objects are JSON-encoded). */
export function sqsRecord(body: unknown, overrides: Partial<SQSRecord> = {}): SQSRecord {
  counter += 1;
  return {
    messageId: `msg-${counter}`,
    receiptHandle: `rh-${counter}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:tasks',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

/** An SQS event of the given records. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A stored task state, QUEUED by default. */
export function taskState(overrides: Partial<TaskState> = {}): TaskState {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    taskId: 'task-1',
    type: 'simulated',
    status: 'QUEUED',
    attempts: 0,
    maxAttempts: 3,
    payloadHash: 'hash',
    correlationId: 'corr-1',
    createdAt: at,
    updatedAt: at,
    history: [{ type: 'QUEUED', at, attempt: 0 }],
    ...overrides,
  };
}
