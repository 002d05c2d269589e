import { parseTaskMessage } from '../lib/messages';
import { processTaskMessage } from '../lib/processTask';
import { defaultDeps } from '../lib/runtime';
import { sqsBatchHandler } from '../lib/sqsBatch';

/** SQS consumer of the task queue; reports failed records in batchItemFailures. */
export const createHandler = (getDeps = defaultDeps) =>
  sqsBatchHandler((record, deps, log) => processTaskMessage(parseTaskMessage(record.body, deps.config.maxAttempts), deps, log), getDeps);

export const handler = createHandler();
