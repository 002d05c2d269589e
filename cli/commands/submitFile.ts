import { accepted, parseTaskLines, submitInBatches, type BulkSubmitResult, type TaskOutcome } from '../bulkSubmit';
import { MAX_BATCH_TASKS } from '../client';
import { EXIT, UsageError, intOption, type Context } from '../context';

/** Bad lines listed in the usage error; the rest are counted. */
export const MAX_BAD_LINES_SHOWN = 10;
/** Failed tasks listed under the summary; --json lists every one. */
export const MAX_ERRORS_SHOWN = 10;

/** What each status code of a task's answer means, in the summary's words; in this order. */
const RESULT_WORDS: [number, string][] = [
  [202, 'new'],
  [200, 'already there'],
  [400, 'invalid'],
  [409, 'conflict'],
  [413, 'too large'],
  [422, 'rejected'],
  [429, 'throttled'],
  [503, 'not enqueued'],
];

async function readTaskLines(ctx: Context, file: string): Promise<ReturnType<typeof parseTaskLines>['tasks']> {
  const source = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = await ctx.io.readFile(file);
  } catch (error) {
    throw new UsageError(`submit: cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`, 'submit');
  }
  const { tasks, problems } = parseTaskLines(text);
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_BAD_LINES_SHOWN).map((p) => `\n  line ${p.line}: ${p.problem}`);
    const more = problems.length > MAX_BAD_LINES_SHOWN ? `\n  ... and ${problems.length - MAX_BAD_LINES_SHOWN} more` : '';
    const count = `${problems.length} line${problems.length === 1 ? ' is' : 's are'} not a JSON object`;
    throw new UsageError(`submit: ${source}: ${count}; nothing was sent:${shown.join('')}${more}`, 'submit');
  }
  if (tasks.length === 0) throw new UsageError(`submit: ${source} holds no tasks (one JSON object per line)`, 'submit');
  return tasks;
}

/** The summary's count of each result, e.g. "3 tasks: 2 new (202), 1 invalid (400)". */
export function summaryLine(outcomes: readonly TaskOutcome[]): string {
  const counts = new Map<number | null, number>();
  for (const o of outcomes) counts.set(o.statusCode, (counts.get(o.statusCode) ?? 0) + 1);
  const known = RESULT_WORDS.filter(([code]) => counts.has(code)).map(([code, words]) => `${counts.get(code)} ${words} (${code})`);
  const others = [...counts.keys()]
    .filter((code): code is number => code !== null && !RESULT_WORDS.some(([c]) => c === code))
    .sort((a, b) => a - b)
    .map((code) => `${counts.get(code)} failed (${code})`);
  const unsent = counts.has(null) ? [`${counts.get(null)} not sent`] : [];
  return `${outcomes.length} task${outcomes.length === 1 ? '' : 's'}: ${[...known, ...others, ...unsent].join(', ')}`;
}

/**
 * `field: problem` of the API's details that its message does not already say, with the `tasks[i].`
 * of the batch request left out (the line number says which task).
 */
function problemsOf(details: unknown, message: string): string {
  if (!Array.isArray(details)) return '';
  const problems = details
    .filter((d): d is { field: string; problem: string } => typeof d?.field === 'string' && typeof d?.problem === 'string')
    .filter((d) => !message.includes(d.problem))
    .map((d) => `${d.field.replace(/^tasks\[\d+\]\.?/, '') || 'task'}: ${d.problem}`);
  return problems.length > 0 ? ` (${problems.join('; ')})` : '';
}

/** One failed task as a line: where it is in the input, its taskId, and what the API said. */
export function errorLine(outcome: TaskOutcome): string {
  const who = `line ${outcome.line}${outcome.taskId !== undefined ? ` (${outcome.taskId})` : ''}`;
  if (outcome.statusCode === null) return `  ${who}: not sent`;
  const error = outcome.error;
  return `  ${who}: ${outcome.statusCode} ${error?.code ?? ''}: ${error?.message ?? ''}${problemsOf(error?.details, error?.message ?? '')}`;
}

/** The progress line: a bar of tasks with a final outcome, requests and retries so far. */
function progressLine(p: { done: number; total: number; requests: number; retries: number }, elapsedMs: number): string {
  const width = 30;
  const filled = Math.round((p.done / p.total) * width);
  const retries = p.retries > 0 ? `, ${p.retries} retried` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} tasks, ${p.requests} request${p.requests === 1 ? '' : 's'}${retries}, ${(elapsedMs / 1000).toFixed(1)}s`;
}

function printResult(ctx: Context, result: BulkSubmitResult): void {
  const { io } = ctx;
  if (ctx.json) {
    for (const o of result.outcomes) io.stdout(`${JSON.stringify(o)}\n`);
    return;
  }
  io.stdout(`${summaryLine(result.outcomes)}\n`);
  if (result.aborted) io.stdout(`Stopped early: ${result.aborted}\n`);
  const failed = result.outcomes.filter((o) => !accepted(o) && o.statusCode !== null);
  if (failed.length === 0) return;
  const more = failed.length > MAX_ERRORS_SHOWN ? ` (the first ${MAX_ERRORS_SHOWN} of ${failed.length}; --json lists all)` : '';
  io.stdout(`Not accepted${more}:\n${failed.slice(0, MAX_ERRORS_SHOWN).map(errorLine).join('\n')}\n`);
}

/**
 * tasks submit --file PATH [--batch-size N]: every line's task through POST /tasks/batch.
 * Exit 0 when every task is 202 or 200, 1 otherwise.
 */
export async function submitFile(ctx: Context): Promise<number> {
  const { io, values } = ctx;
  if (ctx.args.length > 0) throw new UsageError(`submit: pass either a <taskId> or --file, not both`, 'submit');
  const single = (['payload', 'payload-file', 'type', 'delay'] as const).filter((k) => values[k] !== undefined);
  if (single.length > 0)
    throw new UsageError(
      `submit: ${single.map((k) => `--${k}`).join(', ')} go${single.length === 1 ? 'es' : ''} with a <taskId>; with --file each line holds its own`,
      'submit',
    );
  const batchSize = intOption('batch-size', values['batch-size'], MAX_BATCH_TASKS, 1, MAX_BATCH_TASKS);
  const tasks = await readTaskLines(ctx, values.file!);

  const startedAt = io.now();
  let last = { done: 0, total: tasks.length, requests: 0, retries: 0 };
  const result = await submitInBatches(ctx.client, tasks, {
    batchSize,
    clock: io,
    onProgress: (p) => {
      last = p;
      if (io.stderrIsTTY) io.stderr(`\r${progressLine(p, io.now() - startedAt)}`);
    },
  });
  if (result.requests === 0 && result.fatal) throw result.fatal;
  io.stderr(`${io.stderrIsTTY ? '\r' : ''}${progressLine(last, io.now() - startedAt)}\n`);
  printResult(ctx, result);
  if (result.fatal) throw result.fatal;
  return result.outcomes.every(accepted) ? EXIT.OK : EXIT.FAILURE;
}
