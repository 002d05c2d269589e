import { BATCH_LIMIT } from './api';
import { chunk, isRetryable, parseNdjson, rowCells, submitLines, summarize, waitingRow, type BulkLine, type BulkRow } from './bulkSubmit';
import type { AppContext } from './context';
import { button, el, replace } from './dom';

const EXAMPLE = [
  '{"taskId": "order-1", "payload": {"simulate": "succeed"}}',
  '{"taskId": "order-2", "payload": {"simulate": "fail"}, "delaySeconds": 30}',
].join('\n');

/** One row of the results table; every string in it (taskId, the API's messages) goes in as text. */
export function resultRow(row: BulkRow): HTMLTableRowElement {
  const cells = rowCells(row);
  return el(
    'tr',
    { 'data-line': row.line, class: `bulk-row bulk-${row.outcome.kind}` },
    el('td', { 'data-label': 'Line' }, cells.line),
    el('th', { scope: 'row', 'data-label': 'Task ID' }, cells.href ? el('a', { href: cells.href }, cells.taskId) : cells.taskId),
    el('td', { 'data-label': 'Status', class: 'bulk-status' }, cells.status),
    el('td', { 'data-label': 'Result', class: cells.failed ? 'error-cell' : null }, cells.result),
  );
}

/**
 * The "Submit many" panel: NDJSON pasted or read from a file, sent through POST /tasks/batch
 * BATCH_LIMIT tasks a request, each line's outcome in a table. Shown only when the API has the route.
 */
export function bulkSubmitPanel(ctx: AppContext): HTMLElement {
  const input = el('textarea', {
    id: 'bulk-ndjson',
    name: 'ndjson',
    rows: 8,
    wrap: 'off',
    spellcheck: 'false',
    placeholder: EXAMPLE,
    'aria-describedby': 'bulk-ndjson-hint bulk-error',
  });
  const file = el('input', {
    type: 'file',
    id: 'bulk-file',
    accept: '.ndjson,.jsonl,.json,.txt,application/x-ndjson,text/plain',
    'aria-describedby': 'bulk-file-hint',
  });
  const error = el('p', { id: 'bulk-error', class: 'field-error', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', class: 'primary', id: 'bulk-submit' }, 'Submit all');
  const resend = button('Resend', () => void run(retryable()), { id: 'bulk-resend', hidden: true });
  const status = el('p', { id: 'bulk-summary', class: 'notice', role: 'status', 'aria-live': 'polite' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'tasks bulk-results', id: 'bulk-results', hidden: true },
    el('caption', { class: 'visually-hidden' }, 'Outcome of each line'),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Line'),
        el('th', { scope: 'col' }, 'Task ID'),
        el('th', { scope: 'col' }, 'Status'),
        el('th', { scope: 'col' }, 'Result'),
      ),
    ),
    tbody,
  );

  /** Every row of the last run by line, and the lines it sent (for a resend). */
  const rows = new Map<number, BulkRow>();
  const sent = new Map<number, BulkLine>();
  const rowElements = new Map<number, HTMLTableRowElement>();
  let running = false;

  const retryable = () => [...rows.values()].filter(isRetryable).map((row) => sent.get(row.line)!);
  const showProblem = (text: string | undefined) => {
    error.hidden = text === undefined;
    replace(error, text ?? '');
    if (text === undefined) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  };
  const update = (changed: BulkRow[]) => {
    for (const row of changed) {
      rows.set(row.line, row);
      const element = resultRow(row);
      const old = rowElements.get(row.line);
      if (old) old.replaceWith(element);
      else tbody.appendChild(element);
      rowElements.set(row.line, element);
    }
  };
  const finish = (stopped?: string) => {
    const again = retryable().length;
    resend.hidden = again === 0;
    replace(resend, `Resend the ${again} ${again === 1 ? 'task' : 'tasks'} that got a 5xx`);
    replace(status, `${summarize([...rows.values()])}.${stopped ? ` Stopped: ${stopped}` : ''}`);
  };

  /** Sends `lines` (a fresh input's, or a resend's), updating their rows as each request answers. */
  const run = async (lines: BulkLine[]) => {
    if (running || lines.length === 0) return;
    running = true;
    submit.disabled = true;
    resend.hidden = true;
    update(lines.map(waitingRow));
    let done = 0;
    const requests = chunk(lines).length;
    replace(
      status,
      `Sending ${lines.length} ${lines.length === 1 ? 'task' : 'tasks'} in ${requests} ${requests === 1 ? 'request' : 'requests'}…`,
    );
    try {
      await submitLines(ctx.client, lines, (answered) => {
        ctx.reachable();
        update(answered);
        done += answered.length;
        replace(status, `Sent ${done} of ${lines.length}…`);
      });
      finish();
    } catch (failure) {
      ctx.handleError(failure);
      const reason = 'Not sent: the run stopped before it';
      update(
        [...rows.values()]
          .filter((row) => row.outcome.kind === 'waiting')
          .map((row) => ({ ...row, outcome: { kind: 'not-sent', reason } })),
      );
      finish(`${(failure as Error).message}.`);
    } finally {
      running = false;
      submit.disabled = false;
    }
  };

  const start = () => {
    if (running) return;
    showProblem(undefined);
    const { lines, rejected } = parseNdjson(input.value);
    if (lines.length === 0 && rejected.length === 0) {
      showProblem('Paste at least one line: a JSON object with taskId and payload.');
      input.focus();
      return;
    }
    rows.clear();
    sent.clear();
    rowElements.clear();
    replace(tbody);
    table.hidden = false;
    for (const item of lines) sent.set(item.line, item);
    update([...rejected, ...lines.map(waitingRow)].sort((a, b) => a.line - b.line));
    if (lines.length === 0) {
      finish();
      return;
    }
    void run(lines);
  };

  file.addEventListener('change', () => {
    const picked = file.files?.[0];
    if (!picked) return;
    picked.text().then(
      (text) => {
        input.value = text;
        showProblem(undefined);
      },
      (failure: Error) => showProblem(`Could not read ${picked.name}: ${failure.message}`),
    );
  });

  const form = el(
    'form',
    { class: 'submit-form bulk-form', novalidate: true, 'aria-labelledby': 'bulk-title' },
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'bulk-ndjson' }, 'Tasks, one JSON object a line (NDJSON)'),
      input,
      el(
        'p',
        { class: 'hint', id: 'bulk-ndjson-hint' },
        `Each line: {"taskId", "payload", "type"?, "delaySeconds"?}. Sent ${BATCH_LIMIT} a request; a line that is not a JSON object is not sent.`,
      ),
      error,
    ),
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'bulk-file' }, 'Or read a .ndjson file'),
      file,
      el('p', { class: 'hint', id: 'bulk-file-hint' }, 'Its lines replace the text above; nothing is sent until Submit all.'),
    ),
    el('div', { class: 'actions' }, submit, resend),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start();
  });

  return el(
    'section',
    { class: 'bulk-submit', id: 'bulk-submit-panel', 'aria-labelledby': 'bulk-title' },
    el('h2', { id: 'bulk-title' }, 'Submit many'),
    form,
    status,
    el('div', { class: 'table-wrap' }, table),
  );
}
