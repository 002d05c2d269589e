/**
 * "Submit many": NDJSON lines into POST /tasks/batch requests of at most BATCH_LIMIT tasks, and what
 * became of each line. No DOM here (bulkView.ts draws it), so parsing, splitting and every
 * outcome are unit-tested against a fake fetch.
 */
import { ApiError, AuthError, BATCH_LIMIT, ConnectionError, NotThisApiError, type BatchResult, type ConsoleClient } from './api';
import { routeHash } from './router';
import { parseTaskLines } from '../../cli/bulkSubmit';

/** One line to send: its line number in the input (from 1) and the object on it, sent as it is. */
export interface BulkLine {
  line: number;
  task: Record<string, unknown>;
  /** The line's taskId when it is a string, for the table before the API answers. */
  taskId?: string;
}

/** What became of one line. */
export type BulkOutcome =
  | { kind: 'waiting' }
  /** Never sent: not JSON, not an object, a taskId an earlier line has, or a run that stopped before it. */
  | { kind: 'not-sent'; reason: string }
  /** 202 (a new task) or 200 (the same taskId, payload and type already there). */
  | { kind: 'task'; statusCode: number }
  | { kind: 'error'; statusCode: number; code: string; message: string; problems: string[] };

export interface BulkRow {
  line: number;
  taskId?: string;
  outcome: BulkOutcome;
}

/** The lines worth sending, and the rows of those that are not. */
export interface ParsedInput {
  lines: BulkLine[];
  rejected: BulkRow[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads NDJSON with the CLI's parser (one JSON object a line, blank lines skipped, line numbers
 * still counting them). A line that is not a JSON object, or repeats the taskId of an earlier
 * line, is not sent: the API would refuse a repeat within one request, and requests cannot see
 * each other.
 */
export function parseNdjson(text: string): ParsedInput {
  const { tasks, problems } = parseTaskLines(text);
  const rejected: BulkRow[] = problems.map(({ line, problem }) => ({
    line,
    outcome: { kind: 'not-sent', reason: `${problem[0].toUpperCase()}${problem.slice(1)}` },
  }));
  const lines: BulkLine[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { line, task } of tasks) {
    const taskId = typeof task.taskId === 'string' ? task.taskId : undefined;
    const earlier = taskId === undefined ? undefined : firstLineOf.get(taskId);
    if (earlier !== undefined) {
      rejected.push({ line, taskId, outcome: { kind: 'not-sent', reason: `Its taskId repeats line ${earlier}; only the first is sent` } });
      continue;
    }
    if (taskId !== undefined) firstLineOf.set(taskId, line);
    lines.push({ line, task, ...(taskId !== undefined ? { taskId } : {}) });
  }
  rejected.sort((a, b) => a.line - b.line);
  return { lines, rejected };
}

/** The row of a line not answered yet. */
export const waitingRow = (item: BulkLine): BulkRow => ({
  line: item.line,
  ...(item.taskId !== undefined ? { taskId: item.taskId } : {}),
  outcome: { kind: 'waiting' },
});

/** `items` in runs of at most `size`, in order. */
export function chunk<T>(items: readonly T[], size = BATCH_LIMIT): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** The problems of an item's 400, without the `tasks[i].` of the request it was in (the line says which). */
function problemsOf(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details
    .filter((d): d is { field: string; problem: string } => isObject(d) && typeof d.field === 'string' && typeof d.problem === 'string')
    .map(({ field, problem }) => `${field.replace(/^tasks\[\d+\]\.?/, '') || 'task'} ${problem}`);
}

/** The row of a line from its result in the batch's answer. */
function rowOf(item: BulkLine, result: BatchResult | undefined): BulkRow {
  const taskId = result?.task?.taskId ?? result?.taskId ?? item.taskId;
  const base = { line: item.line, ...(taskId !== undefined ? { taskId } : {}) };
  if (!result) {
    return {
      ...base,
      outcome: { kind: 'error', statusCode: 200, code: 'BAD_RESPONSE', message: 'the API returned no result for it', problems: [] },
    };
  }
  if (result.task && (result.statusCode === 200 || result.statusCode === 202))
    return { ...base, outcome: { kind: 'task', statusCode: result.statusCode } };
  const error = result.error ?? { code: `HTTP_${result.statusCode}`, message: 'no error given', details: undefined };
  return {
    ...base,
    outcome: {
      kind: 'error',
      statusCode: result.statusCode,
      code: error.code,
      message: error.message,
      problems: problemsOf(error.details),
    },
  };
}

/** The rows of a request the API refused as a whole: each of its lines gets the refusal. */
const refusedRows = (items: readonly BulkLine[], error: ApiError): BulkRow[] =>
  items.map((item) => ({
    line: item.line,
    ...(item.taskId !== undefined ? { taskId: item.taskId } : {}),
    outcome: { kind: 'error', statusCode: error.status, code: error.code, message: error.message, problems: [] },
  }));

/** True for the errors that stop a whole run: a rejected key, a lost API, a URL that is not this API. */
const stopsTheRun = (error: unknown) => error instanceof AuthError || error instanceof ConnectionError || error instanceof NotThisApiError;

/**
 * Sends `lines` in requests of at most `size` tasks, one after another, and reports the rows of each
 * request as it answers. A request too large for the API (413) is split in halves and sent again,
 * down to single tasks. Another refusal of a whole request becomes each of its rows; a rejected key
 * or a lost API rejects the promise (the rows not reported were not sent).
 */
export async function submitLines(
  client: Pick<ConsoleClient, 'submitMany'>,
  lines: readonly BulkLine[],
  onRows: (rows: BulkRow[]) => void,
  size = BATCH_LIMIT,
): Promise<void> {
  const send = async (items: readonly BulkLine[]): Promise<void> => {
    try {
      const { results } = await client.submitMany(items.map((item) => item.task));
      const byIndex = new Map(results.map((result) => [result.index, result]));
      onRows(items.map((item, index) => rowOf(item, byIndex.get(index))));
    } catch (error) {
      if (stopsTheRun(error) || !(error instanceof ApiError)) throw error;
      if (error.status === 413 && items.length > 1) {
        const half = Math.ceil(items.length / 2);
        await send(items.slice(0, half));
        await send(items.slice(half));
        return;
      }
      onRows(refusedRows(items, error));
    }
  };
  for (const items of chunk(lines, size)) await send(items);
}

/** Rows the API may take on a second try: 5xx (a 503 ENQUEUE_FAILED says so; a resend is safe). */
export const isRetryable = (row: BulkRow): boolean => row.outcome.kind === 'error' && row.outcome.statusCode >= 500;

/** `4 lines: 202 × 2, 400 × 1; 1 not sent`: each status code's count, in code order. */
export function summarize(rows: readonly BulkRow[]): string {
  const counts = new Map<number, number>();
  let notSent = 0;
  let waiting = 0;
  for (const { outcome } of rows) {
    if (outcome.kind === 'not-sent') notSent++;
    else if (outcome.kind === 'waiting') waiting++;
    else counts.set(outcome.statusCode, (counts.get(outcome.statusCode) ?? 0) + 1);
  }
  const codes = [...counts.entries()].sort(([a], [b]) => a - b).map(([code, n]) => `${code} × ${n}`);
  const rest = [notSent > 0 ? `${notSent} not sent` : '', waiting > 0 ? `${waiting} waiting` : ''].filter(Boolean);
  const lines = `${rows.length} ${rows.length === 1 ? 'line' : 'lines'}`;
  return `${lines}: ${[codes.join(', '), ...rest].filter(Boolean).join('; ') || 'none'}`;
}

/** What the results table shows of a row: the taskId links to the task once the API has it. */
export interface RowCells {
  line: string;
  taskId: string;
  href?: string;
  status: string;
  result: string;
  failed: boolean;
}

/** The cells of one row of the results table, as plain strings (bulkView.ts puts them in as text). */
export function rowCells(row: BulkRow): RowCells {
  const { outcome } = row;
  const cells = { line: String(row.line), taskId: row.taskId ?? '' };
  if (outcome.kind === 'waiting') return { ...cells, status: 'waiting', result: '', failed: false };
  if (outcome.kind === 'not-sent') return { ...cells, status: 'not sent', result: outcome.reason, failed: true };
  if (outcome.kind === 'task') {
    return {
      ...cells,
      ...(row.taskId !== undefined ? { href: routeHash({ view: 'task', taskId: row.taskId }) } : {}),
      status: String(outcome.statusCode),
      result: outcome.statusCode === 202 ? 'Queued: a new task' : 'Already submitted with this payload',
      failed: false,
    };
  }
  // The API's message may already name its problem ("invalid request: payload is required"): not twice.
  const untold = outcome.problems.filter((problem) => !outcome.message.includes(problem));
  const problems = untold.length > 0 ? ` (${untold.join('; ')})` : '';
  return { ...cells, status: String(outcome.statusCode), result: `${outcome.code}: ${outcome.message}${problems}`, failed: true };
}
