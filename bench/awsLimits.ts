/**
 * The dated table of the AWS limits the capacity model (bench/capacity.ts) checks, like
 * bench/prices.json for prices: each limit with its default value, whether and how it can be
 * raised, and the AWS documentation page that states it. Values as those pages state them on
 * the date below (us-east-1 and the other large Regions; some Regions have lower API Gateway
 * defaults, see its page). Check the sources before quoting.
 */

export const AWS_LIMITS_DATE = '2026-12-02';

export interface AwsLimit {
  /** What is limited, in the words of the capacity table. */
  name: string;
  /** The default value (Infinity where the page says "nearly unlimited"). */
  value: number;
  unit: string;
  /** Whether a Service Quotas request (or a setting) can raise it. */
  adjustable: boolean;
  /** How to raise it, or why it cannot be. */
  raise: string;
  /** The same in a few words, for the capacity table's last column. */
  knob: string;
  /** The AWS documentation page that states the value. */
  source: string;
  /** What the page says that the model relies on. */
  note: string;
}

export const AWS_LIMITS = {
  apiAccountRps: {
    name: 'API Gateway account throttle',
    value: 10_000,
    unit: 'requests/s per account and Region',
    adjustable: true,
    raise: 'Service Quotas request (quota L-8A5B8E43); the burst (5,000) is set by AWS, not by request',
    knob: 'Service Quotas request',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    note: 'across HTTP, REST and WebSocket APIs, token bucket with a burst of 5,000; 2,500 RPS in some newer Regions',
  },
  lambdaConcurrency: {
    name: 'Lambda concurrent executions',
    value: 1_000,
    unit: 'concurrent executions per account and Region, all functions',
    adjustable: true,
    raise: 'Service Quotas request ("Concurrent executions", up to tens of thousands); new accounts start lower',
    knob: 'Service Quotas request',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    note: 'concurrency = invocations per second x mean duration in seconds; an invocation over the quota is throttled (429)',
  },
  lambdaScalingRate: {
    name: 'Lambda concurrency scaling rate',
    value: 1_000,
    unit: 'execution environments per function every 10 s',
    adjustable: false,
    raise: 'not adjustable; a ramp, not a sustained limit (provisioned concurrency starts environments ahead)',
    knob: 'fixed (a ramp)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html',
    note: 'each function can add at most 1,000 environments (10,000 requests/s) every 10 seconds, independently of the others',
  },
  esmMaximumConcurrency: {
    name: 'SQS event source maximumConcurrency',
    value: 1_000,
    unit: 'concurrent batches (the setting is 2-1,000)',
    adjustable: true,
    raise: 'param processorMaxConcurrency (2-1,000; serverless.yml default 10)',
    knob: 'processorMaxConcurrency',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html',
    note: 'caps the concurrent invocations of one event source mapping; an event source processes at most 1,000 batches at once',
  },
  esmScaleUp: {
    name: 'SQS event source scale-up',
    value: 300,
    unit: 'concurrent batches added per minute, from 5',
    adjustable: false,
    raise: 'not adjustable in standard mode (provisioned mode scales faster but excludes maximumConcurrency)',
    knob: 'fixed (a ramp)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html',
    note: 'Lambda starts with five concurrent batches and, while messages are available, adds up to 300 more per minute',
  },
  dynamoTableWrites: {
    name: 'DynamoDB table-level write throughput (on-demand)',
    value: 40_000,
    unit: 'write request units/s per table (and per GSI)',
    adjustable: true,
    raise: 'Service Quotas request ("Table-level write throughput limit"), per account and Region',
    knob: 'Service Quotas request',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    note: 'on-demand tables default to 40,000 read and 40,000 write request units per table',
  },
  dynamoPartitionWrites: {
    name: 'DynamoDB partition write throughput',
    value: 1_000,
    unit: 'write units/s per partition (3,000 read units/s)',
    adjustable: false,
    raise: 'not adjustable: spread the writes over more keys (param indexShards for the byPhase index)',
    knob: 'fixed: indexShards spreads',
    source: 'https://repost.aws/knowledge-center/on-demand-table-throttling-dynamodb',
    note: 'each partition serves up to 3,000 read or 1,000 write request units per second, or a linear mix; one key with an ever-growing sort key cannot be split',
  },
  dynamoOnDemandWarmUp: {
    name: 'DynamoDB on-demand initial throughput',
    value: 4_000,
    unit: 'write request units/s on a new table; then up to double the previous peak within 30 minutes',
    adjustable: true,
    raise: 'pre-warm the table (warm throughput) or ramp traffic over hours; a ramp, not a sustained limit',
    knob: 'pre-warm (a ramp)',
    source: 'https://repost.aws/knowledge-center/on-demand-table-throttling-dynamodb',
    note: 'a new on-demand table can at once drive up to 4,000 write request units; past double the previous peak within 30 minutes it may throttle',
  },
  sqsStandardThroughput: {
    name: 'SQS standard queue API calls',
    value: Number.POSITIVE_INFINITY,
    unit: 'calls/s per API action',
    adjustable: false,
    raise: 'none needed',
    knob: 'none needed',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html',
    note: 'standard queues support a nearly unlimited number of API calls per second, per API action',
  },
  sqsInFlight: {
    name: 'SQS in-flight messages (standard queue)',
    value: 120_000,
    unit: 'messages received and not yet deleted, per queue',
    adjustable: true,
    raise: 'AWS Support request',
    knob: 'AWS Support request',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html',
    note: 'approximately 120,000 in-flight messages for most standard queues; long polls then return nothing rather than an error',
  },
  sqsBatch: {
    name: 'SQS SendMessageBatch',
    value: 10,
    unit: 'messages per call, at most 1 MiB (1,048,576 bytes) in all',
    adjustable: false,
    raise: 'not adjustable',
    knob: 'fixed',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html',
    note: 'a batch call holds up to 10 messages; SQS bills each started 64 KB chunk of a call as one request (bench/prices.json sqs.source)',
  },
} as const satisfies Record<string, AwsLimit>;

export type LimitId = keyof typeof AWS_LIMITS;

/**
 * The usage plan is ours, not an AWS quota: its rate, burst and daily quota are params of
 * serverless.yml. This page says what API Gateway does past them (429 Too Many Requests) and
 * that a plan cannot exceed the account throttle.
 */
export const USAGE_PLAN_SOURCE = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html';
