import { reconcile } from '../lib/app/reconcile';
import { defaultDeps } from '../lib/runtime';

/** Scheduled: re-sends the awaited message of every task stuck past its due time. */
export const createHandler =
  (getDeps = defaultDeps) =>
  async () => {
    const deps = getDeps();
    try {
      const report = await reconcile(deps, { graceSeconds: deps.config.reconcileGraceSeconds, maxPerStatus: 1000 });
      // A quiet sweep is the normal case: say so only at debug level.
      const resent = Object.values(report.resent).reduce((sum, n) => sum + n, 0);
      if (resent > 0 || report.missingPayload > 0 || report.rejected > 0 || report.errors > 0)
        deps.log.warn('RECONCILE_DONE', { ...report });
      else deps.log.debug('RECONCILE_DONE', { ...report });
      return report;
    } finally {
      deps.metrics.publish();
    }
  };

export const handler = createHandler();
