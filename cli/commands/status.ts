import { historyTable, taskDetails } from '../format';
import { EXIT, oneTaskId, printJson, type Context } from '../context';

/** tasks status <taskId>: status, attempts, last error. --json: the task as the API returns it. */
export async function status(ctx: Context): Promise<number> {
  const task = await ctx.client.get(oneTaskId(ctx, 'status'));
  if (ctx.json) printJson(ctx.io, task);
  else ctx.io.stdout(taskDetails(task));
  return EXIT.OK;
}

/** tasks history <taskId>: one line per audit event. --json: the history array. */
export async function history(ctx: Context): Promise<number> {
  const task = await ctx.client.get(oneTaskId(ctx, 'history'));
  if (ctx.json) printJson(ctx.io, task.history);
  else {
    ctx.io.stdout(`Task ${task.taskId}: ${task.status}, attempt ${task.attempts}/${task.maxAttempts}\n`);
    ctx.io.stdout(historyTable(task.history));
  }
  return EXIT.OK;
}
