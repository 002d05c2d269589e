import type { Deps } from '../deps';
import { mapLimit } from '../domain/concurrency';
import { SHARD_QUERY_CONCURRENCY } from '../domain/shards';
import { METRIC } from '../adapters/metrics';
import { sendOrFail } from './rejectedMessage';
import type { Gate } from '../domain/stateMachine';
import type { TaskPage } from '../adapters/taskStore';
import { deadLetterMessage, type TaskStatus, type TaskSummary } from '../domain/task';

/** Statuses the pipeline moves on from by itself, and so can be overdue. */
export const RECONCILED_STATUSES = ['QUEUED', 'RETRY_SCHEDULED', 'PROCESSING', 'DEAD_LETTERED'] as const satisfies readonly TaskStatus[];
type ReconciledStatus = (typeof RECONCILED_STATUSES)[number];

export interface ReconcileOptions {
  /** How long past its due time a task may wait before it counts as stuck. */
  graceSeconds: number;
  /** Upper bound of tasks re-sent per status per run (the next run takes the rest). */
  maxPerStatus: number;
}

export interface ReconcileReport {
  examined: number;
  resent: Record<ReconciledStatus, number>;
  /** Tasks found overdue whose payload is gone (should never happen): logged, left alone. */
  missingPayload: number;
  /** Tasks whose message the queue refused as invalid: ended FAILED, never retried. */
  rejected: number;
  /** Tasks or listings that failed with an error (logged); the next sweep tries them again. */
  errors: number;
}

/** When a task in this status should have moved on. */
function dueAt(task: TaskSummary, status: ReconciledStatus): string {
  // A delayed start (QUEUED with nextAttemptAt) is due only once its delay is over.
  if (status === 'RETRY_SCHEDULED' || status === 'QUEUED') return task.nextAttemptAt ?? task.updatedAt;
  if (status === 'PROCESSING') return task.leaseUntil ?? task.updatedAt;
  return task.updatedAt;
}

/**
 * Re-sends the message an overdue task waits for: 'MISSING' when its payload is gone,
 * 'REJECTED' when the queue refused the message and the task ended FAILED.
 */
async function resend(
  task: TaskSummary,
  status: ReconciledStatus,
  now: Date,
  deps: Pick<Deps, 'store' | 'queue' | 'clock' | 'log' | 'metrics'>,
): Promise<'SENT' | 'REJECTED' | 'MISSING'> {
  const payload = await deps.store.getPayload(task.taskId);
  if (!payload) return 'MISSING';
  // The state this re-send is for: only that state may be ended by a refusal.
  const gate: Gate = { status, attempts: task.attempts, ...(status === 'PROCESSING' ? { leaseExpiredBefore: now.toISOString() } : {}) };
  return sendOrFail(
    () => send(task, status, payload, deps),
    { taskId: task.taskId, type: task.type, correlationId: task.correlationId, payload },
    gate,
    deps,
    deps.log,
  );
}

function send(task: TaskSummary, status: ReconciledStatus, payload: Record<string, unknown>, deps: Pick<Deps, 'queue'>): Promise<void> {
  if (status === 'DEAD_LETTERED') {
    return deps.queue.deadLetter(deadLetterMessage(task, payload, task.lastError, task.updatedAt));
  }
  // PROCESSING waits for the same attempt (its lease ran out); the others for the next one.
  const attempt = status === 'PROCESSING' ? task.attempts : task.attempts + 1;
  // Only overdue tasks get here (a delayed start's delay is over), so nothing waits.
  return deps.queue.enqueue({ taskId: task.taskId, type: task.type, attempt, payload, correlationId: task.correlationId }, 0);
}

/**
 * Finds tasks stuck in a non-terminal status (a crash between a write and its send, a lost
 * message, a lease that ran out with no redelivery) through the byPhase index, and re-sends
 * the message each one waits for. The message goes through the same gates as any delivery,
 * so it is harmless when the original also arrives.
 */
export async function reconcile(
  deps: Pick<Deps, 'config' | 'store' | 'queue' | 'clock' | 'log' | 'metrics'>,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const now = deps.clock();
  const cutoff = new Date(now.getTime() - options.graceSeconds * 1000).toISOString();
  const report: ReconcileReport = {
    examined: 0,
    resent: { QUEUED: 0, RETRY_SCHEDULED: 0, PROCESSING: 0, DEAD_LETTERED: 0 },
    missingPayload: 0,
    rejected: 0,
    errors: 0,
  };

  // Slots taken per status, counted before the send so parallel sweeps never pass maxPerStatus.
  const taken: Record<ReconciledStatus, number> = { QUEUED: 0, RETRY_SCHEDULED: 0, PROCESSING: 0, DEAD_LETTERED: 0 };
  const room = () => RECONCILED_STATUSES.some((status) => taken[status] < options.maxPerStatus);

  const reconcileTask = async (task: TaskSummary) => {
    const status = task.status as ReconciledStatus;
    if (!RECONCILED_STATUSES.includes(status)) return;
    report.examined += 1;
    if (taken[status] >= options.maxPerStatus) return;
    const due = dueAt(task, status);
    if (due >= cutoff) return;
    taken[status] += 1;
    try {
      const outcome = await resend(task, status, now, deps);
      if (outcome === 'SENT') {
        report.resent[status] += 1;
        deps.metrics.count(METRIC.TasksReconciled);
        deps.log.warn('TASK_RECONCILED', {
          taskId: task.taskId,
          status,
          dueAt: due,
          attempts: task.attempts,
          correlationId: task.correlationId,
        });
        return;
      }
      taken[status] -= 1;
      if (outcome === 'REJECTED') {
        report.rejected += 1;
      } else {
        report.missingPayload += 1;
        deps.log.error('RECONCILE_PAYLOAD_MISSING', { taskId: task.taskId, status });
      }
    } catch (error) {
      taken[status] -= 1;
      report.errors += 1;
      deps.log.error('RECONCILE_TASK_FAILED', { taskId: task.taskId, status, error: error as Error });
    }
  };

  // Each unfinished shard of the index is swept on its own, several at a time.
  const shards = Array.from({ length: deps.config.indexShards }, (_, shard) => shard);
  await mapLimit(shards, SHARD_QUERY_CONCURRENCY, async (shard) => {
    let cursor: string | undefined;
    do {
      let page: TaskPage;
      try {
        page = await deps.store.listUnfinishedBefore(cutoff, { shard, limit: 100, cursor });
      } catch (error) {
        // The next sweep starts this shard over; what was re-sent so far stands.
        report.errors += 1;
        deps.log.error('RECONCILE_LIST_FAILED', { shard, error: error as Error });
        return;
      }
      cursor = page.cursor;
      for (const task of page.tasks) await reconcileTask(task);
    } while (cursor && room());
  });
  return report;
}
