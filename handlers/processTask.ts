import { parseTaskMessage } from '../lib/domain/messages';
import { processDelivery } from '../lib/app/processDelivery';
import { defaultDeps } from '../lib/runtime';
import { sqsBatchHandler } from '../lib/lambda/sqsBatch';

/** SQS consumer of the task queue; reports failed records in batchItemFailures. */
export const createHandler = (getDeps = defaultDeps) =>
  sqsBatchHandler((record, deps, log) => processDelivery(parseTaskMessage(record.body, deps.config.maxAttempts), deps, log), getDeps);

export const handler = createHandler();
