import { PoisonMessageError } from '../lib/domain/errors';
import { failDeadLettered } from '../lib/app/failDeadLettered';
import { defaultDeps } from '../lib/runtime';
import { sqsBatchHandler } from '../lib/lambda/sqsBatch';

/** SQS consumer of the DLQ: logs and marks FAILED each dead-lettered task. */
export const createHandler = (getDeps = defaultDeps) =>
  sqsBatchHandler(async (record, deps, log) => {
    try {
      await failDeadLettered(record.body, deps, log, record.messageId);
    } catch (error) {
      // Nothing can ever make an unreadable DLQ message readable: log it whole and let it go.
      if (!(error instanceof PoisonMessageError)) throw error;
      log.error('UNREADABLE_DLQ_MESSAGE', { reason: error.message, body: record.body });
    }
  }, getDeps);

export const handler = createHandler();
