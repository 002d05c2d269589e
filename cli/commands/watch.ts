import { isTerminal } from '../../lib/domain/task';
import { ServerError, type TaskView } from '../client';
import { errorText, eventLine } from '../format';
import { EXIT, intOption, oneTaskId, type Context } from '../context';

export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_TIMEOUT_S = 300;

/**
 * tasks watch <taskId> [--interval MS] [--timeout S]: polls the task and prints
 * each history event once, as it appears, until a terminal status: SUCCEEDED (exit 0),
 * FAILED or CANCELLED (exit 1: finished, but the work was not done); exit 2 when --timeout
 * passes first (0 = no timeout).
 * --json prints each event as one JSON line.
 */
export async function watch(ctx: Context): Promise<number> {
  const { io } = ctx;
  const taskId = oneTaskId(ctx, 'watch');
  const intervalMs = intOption('interval', ctx.values.interval, DEFAULT_INTERVAL_MS, 1);
  const timeoutS = intOption('timeout', ctx.values.timeout, DEFAULT_TIMEOUT_S, 0);
  const deadline = timeoutS === 0 ? Infinity : io.now() + timeoutS * 1000;

  let printed = 0;
  let task: TaskView | undefined;
  for (;;) {
    try {
      task = await ctx.client.get(taskId);
    } catch (error) {
      // A 5xx is the API's hiccup, not the task's: say so and keep polling.
      if (!(error instanceof ServerError)) throw error;
      io.stderr(`watch: ${error.status} ${error.code}: ${error.message}; retrying\n`);
    }
    if (task) {
      printed = Math.min(printed, task.history.length);
      for (const event of task.history.slice(printed)) {
        io.stdout(ctx.json ? `${JSON.stringify(event)}\n` : `${eventLine(event)}\n`);
      }
      printed = task.history.length;
      if (isTerminal(task.status)) {
        if (!ctx.json) io.stdout(`${endText(task)}\n`);
        return task.status === 'SUCCEEDED' ? EXIT.OK : EXIT.FAILURE;
      }
    }
    const left = deadline - io.now();
    if (left <= 0) {
      io.stderr(`watch: timed out after ${timeoutS}s; task ${taskId} is ${task ? task.status : 'unknown (the API kept failing)'}\n`);
      return EXIT.WATCH_TIMEOUT;
    }
    await io.sleep(Math.min(intervalMs, left));
  }
}

/** The line watch ends with, for a task in a terminal status. */
function endText(task: TaskView): string {
  const attempts = `${task.attempts}/${task.maxAttempts}`;
  if (task.status === 'SUCCEEDED') return `Task ${task.taskId} SUCCEEDED (attempt ${attempts})`;
  if (task.status === 'CANCELLED') return `Task ${task.taskId} CANCELLED after ${attempts} attempts`;
  return `Task ${task.taskId} ${task.status} after ${attempts} attempts: ${errorText(task.lastError)}`;
}
