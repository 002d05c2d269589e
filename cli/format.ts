/** Plain-text rendering of tasks, listings and histories: aligned columns, no colours. */
import { table as textTable } from '../tools/table';
import type { TaskEvent, TaskStatus, TaskSummary, TaskView } from './client';

/** Renders rows as left-aligned columns under a header, one line each (the text ends with a newline). */
export function table(headers: string[], rows: string[][], minWidths: number[] = []): string {
  return `${textTable(headers, rows, { minWidths })}\n`;
}

/** Renders label/value pairs with the values aligned (continuation lines too); pairs without a value are left out. */
export function keyValues(pairs: [string, string | undefined][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  const indent = ' '.repeat(width + 2);
  return `${shown.map(([k, v]) => `${k.padEnd(width)}  ${v.split('\n').join(`\n${indent}`)}`).join('\n')}\n`;
}

/** `Name: message` of an error, or '-' for none. */
export function errorText(error: { name: string; message: string } | null | undefined): string {
  return error ? `${error.name}: ${error.message}` : '-';
}

/** What an event adds beyond its type: the error (and whether it was permanent), the start or retry delay. */
export function eventDetail(event: TaskEvent): string {
  const parts: string[] = [];
  if (event.error) parts.push(errorText(event.error));
  if (event.permanent) parts.push('permanent: no retry');
  if (event.delaySeconds !== undefined)
    parts.push(event.type === 'QUEUED' ? `start delayed by ${event.delaySeconds}s` : `next attempt in ${event.delaySeconds}s`);
  return parts.join('; ');
}

export const HISTORY_HEADERS = ['TIME', 'EVENT', 'ATTEMPT', 'ERROR'];

/** Column widths of history lines (ISO time, longest event type, header), so watch's streamed lines match the table. */
const EVENT_WIDTHS = [24, 15, 7];

/** One history event as a line of fixed-width columns (for watch, which prints events as they come). */
export function eventLine(event: TaskEvent): string {
  const cells = [event.at, event.type, String(event.attempt), eventDetail(event)];
  return cells
    .map((cell, i) => (i < EVENT_WIDTHS.length ? cell.padEnd(EVENT_WIDTHS[i]) : cell))
    .join('  ')
    .trimEnd();
}

/** The history of a task, one line per event. */
export function historyTable(history: TaskEvent[]): string {
  return table(
    HISTORY_HEADERS,
    history.map((e) => [e.at, e.type, String(e.attempt), eventDetail(e)]),
    EVENT_WIDTHS,
  );
}

/** How much of a result `status` prints; --json prints all of it. */
export const RESULT_PREVIEW = { lines: 20, chars: 2000 };

/** A task's result as pretty JSON, cut after RESULT_PREVIEW's lines or characters with a note of what was left out. */
export function resultText(result: unknown): string {
  const full = JSON.stringify(result, null, 2);
  let shown = full.split('\n').slice(0, RESULT_PREVIEW.lines).join('\n').slice(0, RESULT_PREVIEW.chars);
  // Do not end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(shown)) shown = shown.slice(0, -1);
  if (shown.length === full.length) return full;
  return `${shown}\n... (${shown.length} of ${full.length} characters shown; --json prints the whole result)`;
}

/** The status a task was in before its last event (events are named after the status they enter; REDRIVEN enters QUEUED). */
export function statusBeforeLastEvent(task: TaskView): TaskStatus | undefined {
  const previous = task.history.at(-2)?.type;
  return previous === 'REDRIVEN' ? 'QUEUED' : previous;
}

/** A task as label/value lines; a result (SUCCEEDED tasks) comes last, as pretty JSON. */
export function taskDetails(task: TaskView): string {
  const last = task.history.at(-1);
  return keyValues([
    ['taskId', task.taskId],
    ['type', task.type],
    ['status', task.status],
    ['attempts', `${task.attempts}/${task.maxAttempts}`],
    ['lastError', errorText(task.lastError)],
    ['nextAttemptAt', task.nextAttemptAt],
    ['createdAt', task.createdAt],
    ['updatedAt', task.updatedAt],
    ['correlationId', task.correlationId],
    ['history', `${task.history.length} event${task.history.length === 1 ? '' : 's'}${last ? ` (last: ${last.type} at ${last.at})` : ''}`],
    ['result', task.result === undefined ? undefined : resultText(task.result)],
  ]);
}

/** A listing as a table, newest first as the API returns it. */
export function summaryTable(tasks: TaskSummary[]): string {
  return table(
    ['TASK ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'UPDATED', 'LAST ERROR'],
    tasks.map((t) => [t.taskId, t.type, t.status, `${t.attempts}/${t.maxAttempts}`, t.updatedAt, errorText(t.lastError)]),
  );
}
