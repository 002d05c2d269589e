import { reconcile } from '../lib/reconcile';
import { logger } from '../lib/logger';
import { defaultDeps } from '../lib/runtime';

/** Scheduled: re-sends the awaited message of every task stuck past its due time. */
export const createHandler = (getDeps = defaultDeps) => async () => {
  const deps = getDeps();
  try {
    const report = await reconcile(deps, { graceSeconds: deps.config.reconcileGraceSeconds, maxPerStatus: 1000 });
    logger.info('RECONCILE_DONE', { ...report });
    return report;
  } finally {
    deps.metrics.publish();
  }
};

export const handler = createHandler();
