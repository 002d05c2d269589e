import { taskDetails } from '../format';
import { EXIT, UsageError, oneTaskId, printJson, type Context } from '../context';

/** The payload from --payload or --payload-file ('-' = stdin); {} when neither is given. */
async function readPayload(ctx: Context): Promise<unknown> {
  const { payload, 'payload-file': file } = ctx.values;
  if (payload !== undefined && file !== undefined)
    throw new UsageError('submit: pass either --payload or --payload-file, not both', 'submit');
  let text: string;
  let source: string;
  if (payload !== undefined) {
    text = payload;
    source = '--payload';
  } else if (file !== undefined) {
    source = file === '-' ? 'standard input' : `--payload-file ${file}`;
    try {
      text = await ctx.io.readFile(file);
    } catch (error) {
      throw new UsageError(`submit: cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`, 'submit');
    }
  } else return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`submit: ${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, 'submit');
  }
}

/** tasks submit <taskId> [--payload JSON | --payload-file PATH]: 202 new, 200 already there with this payload. */
export async function submit(ctx: Context): Promise<number> {
  const taskId = oneTaskId(ctx, 'submit');
  const payload = await readPayload(ctx);
  const { created, task } = await ctx.client.submit(taskId, payload);
  if (ctx.json) printJson(ctx.io, task);
  else {
    ctx.io.stdout(
      created
        ? `Submitted task ${task.taskId} (202: new task)\n`
        : `Task ${task.taskId} was already submitted with this payload (200: nothing changed)\n`,
    );
    ctx.io.stdout(taskDetails(task));
  }
  return EXIT.OK;
}
