import { statusBeforeLastEvent, taskDetails } from '../format';
import { EXIT, oneTaskId, printJson, type Context } from '../context';

/**
 * tasks cancel <taskId>: a task waiting in the queue (QUEUED or RETRY_SCHEDULED) to CANCELLED;
 * a CANCELLED task is shown as it is. A 409 (running, finished) exits 1 with the API's reason.
 */
export async function cancel(ctx: Context): Promise<number> {
  const task = await ctx.client.cancel(oneTaskId(ctx, 'cancel'));
  if (ctx.json) printJson(ctx.io, task);
  else {
    const from = statusBeforeLastEvent(task);
    const cancelledAt = task.history.at(-1)?.at ?? task.updatedAt;
    ctx.io.stdout(
      `Cancelled task ${task.taskId}${from ? ` (was ${from})` : ''} at ${cancelledAt}; no further attempt will run (redrive starts it over)\n`,
    );
    ctx.io.stdout(taskDetails(task));
  }
  return EXIT.OK;
}
