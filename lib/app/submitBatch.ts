import type { Deps } from '../deps';
import { AppError, EnqueueFailedError, RecordFailedError, TaskConflictError, ValidationError } from '../domain/errors';
import { mapLimit } from '../domain/concurrency';
import type { TaskState } from '../domain/task';
import { type RecordedTask, recordTask, settleSubmit, type SubmitRequest } from './submit';

/** Conditional creates in flight at once for one batch (100 tasks take 10 rounds of ~10 ms). */
export const BATCH_RECORD_CONCURRENCY = 10;

/** One task of a POST /tasks/batch body after its own validation: the request, or why it was refused. */
export type BatchItem = { index: number; request: SubmitRequest } | { index: number; taskId?: string; error: ValidationError };

/** What became of one task of a batch: the task (created or already there) or the error its own submit would have answered. */
export type BatchItemResult = { index: number; taskId?: string } & ({ created: boolean; task: TaskState } | { error: AppError });

/**
 * Submits many tasks: each is recorded on its own exactly as `submit` records one (conditional
 * create, idempotent, TaskConflictError on a different payload), then every owed first attempt
 * goes out through one `enqueueBatch`, and each task is settled as `submit` settles one. Results
 * are in item order. A task that could not be recorded (a store fault) is RecordFailedError;
 * retrying the same batch is safe and sends only what is owed.
 */
export async function submitBatch(
  items: readonly BatchItem[],
  correlationId: string | undefined,
  deps: Pick<Deps, 'store' | 'queue' | 'types' | 'clock' | 'newId' | 'log' | 'metrics'>,
): Promise<BatchItemResult[]> {
  const recorded = await mapLimit(items, BATCH_RECORD_CONCURRENCY, async (item): Promise<RecordedTask | BatchItemResult> => {
    if ('error' in item) return item;
    const { taskId } = item.request;
    try {
      return await recordTask({ ...item.request, ...(correlationId ? { correlationId } : {}) }, deps);
    } catch (error) {
      if (error instanceof TaskConflictError || error instanceof ValidationError) return { index: item.index, taskId, error };
      deps.log.error('TASK_RECORD_FAILED', { taskId, error: error as Error });
      return { index: item.index, taskId, error: new RecordFailedError(taskId, error) };
    }
  });

  const owed = recorded.flatMap((r, i) => ('owed' in r && r.owed ? [{ i, entry: r.owed }] : []));
  const outcomes = await deps.queue.enqueueBatch(owed.map((o) => o.entry));
  const sendErrors = new Map<number, unknown>();
  owed.forEach(({ i }, k) => {
    const outcome = outcomes[k];
    if (!outcome.sent) sendErrors.set(i, outcome.error);
  });

  return mapLimit(recorded, BATCH_RECORD_CONCURRENCY, async (r, i): Promise<BatchItemResult> => {
    if ('index' in r) return r;
    const { index } = items[i];
    const taskId = r.task.taskId;
    try {
      return { index, taskId, ...(await settleSubmit(r, sendErrors.get(i), deps)) };
    } catch (error) {
      if (error instanceof AppError) return { index, taskId, error };
      // Ending a refused task FAILED hit a store fault: it is still QUEUED, and a retry settles it.
      deps.log.error('TASK_SETTLE_FAILED', { taskId, error: error as Error });
      return { index, taskId, error: new EnqueueFailedError(taskId, error) };
    }
  });
}
