import type { Deps } from '../lib/deps';
import { parseTaskMessage } from '../lib/messages';
import { processTaskMessage } from '../lib/processTask';
import { defaultDeps } from '../lib/runtime';
import { sqsBatchHandler } from '../lib/sqsBatch';

/** SQS consumer of the task queue; reports failed records in batchItemFailures. */
export function createHandler(getDeps: () => Deps = defaultDeps) {
  return sqsBatchHandler(async (record, log) => {
    const deps = getDeps();
    await processTaskMessage(parseTaskMessage(record.body, deps.config.maxAttempts), deps, log);
  });
}

export const handler = createHandler();
