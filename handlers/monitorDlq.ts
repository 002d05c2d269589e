import type { Deps } from '../lib/deps';
import { PoisonMessageError } from '../lib/errors';
import { monitorDeadLetter } from '../lib/monitorDeadLetter';
import { defaultDeps } from '../lib/runtime';
import { sqsBatchHandler } from '../lib/sqsBatch';

/** SQS consumer of the DLQ: logs and marks FAILED each dead-lettered task. */
export function createHandler(getDeps: () => Deps = defaultDeps) {
  return sqsBatchHandler(async (record, log) => {
    try {
      await monitorDeadLetter(record.body, getDeps(), log);
    } catch (error) {
      // Nothing can ever make an unreadable DLQ message readable: log it whole and let it go.
      if (!(error instanceof PoisonMessageError)) throw error;
      log.error('UNREADABLE_DLQ_MESSAGE', { reason: error.message, body: record.body });
    }
  });
}

export const handler = createHandler();
