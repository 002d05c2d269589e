import { failedTaskIds, redriveEach, type BulkRedriveResult } from '../../cli/bulkRedrive';
import { AuthError, ConnectionError, NotThisApiError, type TaskPage, type TaskSummary } from './api';
import { REFRESH, every, type AppContext, type View } from './context';
import { openModal } from './dialogs';
import { button, el, replace } from './dom';
import { formatTime, relativeTime } from './format';

/** Where the user is in one status's listing: the cursors that led to each page so far. */
interface Place {
  /** cursors[i] is the cursor of page i (undefined for the first page). */
  cursors: (string | undefined)[];
  page: number;
  limit: number;
}

/** Kept while the page is open, so coming back to a tab returns to the same page. */
const places = new Map<string, Place>();
const counts = new Map<string, string>();
/** Rows listed per page, the listing's `limit`. */
const LIMITS = [10, 20, 50, 100];
/** Pages of 100 walked to count one unfinished status; more shows as "300+". */
const COUNT_PAGES = 3;
export const DEFAULT_REDRIVE_RATE = 5;

function placeOf(status: string): Place {
  let place = places.get(status);
  if (!place) {
    place = { cursors: [undefined], page: 0, limit: 20 };
    places.set(status, place);
  }
  return place;
}

/** Counts one unfinished status by walking its listing, up to COUNT_PAGES pages. */
async function countStatus(ctx: AppContext, status: string): Promise<string> {
  let total = 0;
  let cursor: string | undefined;
  for (let page = 0; page < COUNT_PAGES; page++) {
    const result: TaskPage = await ctx.client.list({ status: status as TaskPage['status'], limit: 100, cursor });
    total += result.tasks.length;
    cursor = result.cursor ?? undefined;
    if (!cursor) return String(total);
  }
  return `${total}+`;
}

/** The tabs, one per status, with counts for the unfinished ones; arrow keys move between them. */
function tabs(ctx: AppContext, current: string): { element: HTMLElement; update(): void } {
  const buttons = ctx.caps.statuses.map((status) => {
    const count = el('span', { class: 'count', 'aria-label': '' });
    const tab = el(
      'a',
      {
        role: 'tab',
        id: `tab-${status}`,
        href: `#/tasks/${status}`,
        'aria-selected': status === current ? 'true' : 'false',
        'aria-controls': 'task-panel',
        tabindex: status === current ? 0 : -1,
        class: `tab status-${status}`,
        'data-status': status,
      },
      el('span', { class: 'tab-label' }, status.replaceAll('_', ' ')),
      count,
    );
    return { status, tab, count };
  });
  const list = el('div', { role: 'tablist', 'aria-label': 'Task status', class: 'tabs' }, ...buttons.map((b) => b.tab));
  list.addEventListener('keydown', (event) => {
    const index = buttons.findIndex((b) => b.tab === document.activeElement);
    if (index < 0) return;
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % buttons.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + buttons.length) % buttons.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? buttons.length - 1
              : -1;
    if (next < 0) return;
    event.preventDefault();
    buttons[next].tab.focus();
    ctx.navigate({ view: 'list', status: buttons[next].status });
  });
  const update = () => {
    for (const { status, count } of buttons) {
      const value = counts.get(status);
      replace(count, value ?? '');
      count.setAttribute('aria-label', value === undefined ? '' : `${value} tasks`);
      count.hidden = value === undefined;
    }
  };
  update();
  return { element: list, update };
}

/** The tasks of one status, newest first, a page at a time, refreshed live. */
export function listView(ctx: AppContext, status: string): View {
  const place = placeOf(status);
  const isFailed = status === 'FAILED';
  const selected = new Set<string>();
  let lastPage: TaskPage | undefined;
  let loading = false;
  let bulkRunning = false;

  // Arrow keys on a tab move to another status: the new view takes the focus over.
  const tabHadFocus = document.activeElement?.getAttribute('role') === 'tab';
  const tabBar = tabs(ctx, status);
  const updated = el('span', { class: 'updated', 'aria-live': 'off' });
  const live = el('input', { type: 'checkbox', id: 'live-refresh', checked: true });
  const limitSelect = el(
    'select',
    { id: 'page-size' },
    ...LIMITS.map((n) => el('option', { value: n, selected: n === place.limit }, String(n))),
  );
  const notice = el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'tasks' },
    el('caption', { class: 'visually-hidden' }, `${status} tasks, newest first`),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        isFailed ? el('th', { scope: 'col', class: 'select' }, el('span', { class: 'visually-hidden' }, 'Select')) : null,
        el('th', { scope: 'col' }, 'Task ID'),
        el('th', { scope: 'col' }, 'Status'),
        el('th', { scope: 'col' }, 'Attempts'),
        el('th', { scope: 'col' }, 'Created'),
        el('th', { scope: 'col' }, status === 'SUCCEEDED' || status === 'FAILED' ? 'Finished' : 'Updated'),
        el('th', { scope: 'col' }, 'Last error'),
        el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Actions')),
      ),
    ),
    tbody,
  );
  const empty = el('div', { class: 'empty', hidden: true });
  const newer = button('← Newer', () => go(place.page - 1), { id: 'page-newer' });
  const older = button('Older →', () => go(place.page + 1), { id: 'page-older' });
  const pageLabel = el('span', { class: 'page-label' });
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, pageLabel, older);

  const redriveSelected = button('Redrive selected', () => void redriveChosen(), { id: 'redrive-selected', disabled: true });
  const redriveAll = button('Redrive all FAILED…', () => void redriveEveryFailed(), { id: 'redrive-all' });
  const progress = el('progress', { id: 'bulk-progress', max: 1, value: 0 });
  const progressText = el('span', { id: 'bulk-progress-text' });
  let stopRequested = false;
  const stop = button('Stop', () => (stopRequested = true), { id: 'bulk-stop' });
  const bulkPanel = el(
    'div',
    { class: 'bulk', hidden: true, role: 'region', 'aria-label': 'Redrive progress' },
    el('label', { for: 'bulk-progress' }, 'Redrive progress'),
    progress,
    progressText,
    stop,
  );
  const bulkReport = el('div', { class: 'bulk-report', role: 'status', 'aria-live': 'polite' });

  const toolbar = el(
    'div',
    { class: 'toolbar' },
    isFailed ? redriveSelected : null,
    isFailed ? redriveAll : null,
    el('span', { class: 'spacer' }),
    el('label', { class: 'inline', for: 'live-refresh' }, live, ' Live'),
    updated,
    el('label', { class: 'inline', for: 'page-size' }, 'Per page ', limitSelect),
  );
  const panel = el(
    'div',
    { role: 'tabpanel', id: 'task-panel', 'aria-labelledby': `tab-${status}`, class: 'panel' },
    toolbar,
    bulkPanel,
    bulkReport,
    notice,
    el('div', { class: 'table-wrap' }, table),
    empty,
    pager,
  );
  const element = el(
    'section',
    { class: 'list-view', 'aria-labelledby': 'list-title' },
    el('h2', { id: 'list-title', class: 'visually-hidden' }, 'Tasks by status'),
    tabBar.element,
    panel,
  );

  const updateSelection = () => {
    redriveSelected.disabled = selected.size === 0 || bulkRunning;
    replace(redriveSelected, selected.size === 0 ? 'Redrive selected' : `Redrive selected (${selected.size})`);
  };

  const row = (task: TaskSummary): HTMLTableRowElement => {
    const id = task.taskId;
    const cells: (HTMLElement | null)[] = [];
    if (isFailed) {
      const box = el('input', {
        type: 'checkbox',
        checked: selected.has(id),
        'aria-label': `Select task ${id}`,
        'data-focus': `select:${id}`,
      });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(id);
        else selected.delete(id);
        updateSelection();
      });
      cells.push(el('td', { class: 'select' }, box));
    }
    const actions: HTMLElement[] = [];
    if (isFailed) {
      actions.push(button('Redrive', () => void redriveOne(id), { 'data-focus': `redrive:${id}`, 'aria-label': `Redrive task ${id}` }));
    }
    cells.push(
      el(
        'th',
        { scope: 'row', 'data-label': 'Task ID' },
        el('a', { href: `#/task/${encodeURIComponent(id)}`, 'data-focus': `open:${id}` }, id),
      ),
      el('td', { 'data-label': 'Status' }, el('span', { class: `badge status-${task.status}` }, task.status)),
      el('td', { 'data-label': 'Attempts' }, `${task.attempts}/${task.maxAttempts}`),
      el('td', { 'data-label': 'Created' }, el('time', { datetime: task.createdAt, title: task.createdAt }, formatTime(task.createdAt))),
      el(
        'td',
        { 'data-label': status === 'SUCCEEDED' || status === 'FAILED' ? 'Finished' : 'Updated' },
        el('time', { datetime: task.updatedAt, title: task.updatedAt }, relativeTime(task.updatedAt, ctx.clock.now())),
      ),
      el(
        'td',
        { class: 'error-cell', 'data-label': 'Last error' },
        task.lastError ? `${task.lastError.name}: ${task.lastError.message}` : null,
      ),
      el('td', { class: 'actions' }, ...actions),
    );
    return el('tr', { 'data-task-id': id }, ...cells);
  };

  const render = (page: TaskPage) => {
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.focus;
    replace(tbody, ...page.tasks.map(row));
    if (focusKey) tbody.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus();
    table.hidden = page.tasks.length === 0;
    empty.hidden = page.tasks.length > 0;
    if (page.tasks.length === 0) {
      replace(
        empty,
        el('p', { class: 'empty-title' }, place.page === 0 && !page.cursor ? `No ${status} tasks.` : `No ${status} tasks on this page.`),
        page.cursor
          ? el('p', {}, 'Unfinished statuses share one index, so a page can be empty while older pages hold more: try Older.')
          : null,
      );
    }
    newer.disabled = place.page === 0;
    older.disabled = !page.cursor;
    replace(pageLabel, `Page ${place.page + 1}`);
    replace(updated, `Updated ${formatTime(new Date(ctx.clock.now()).toISOString()).slice(11, 19)}`);
  };

  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const page = await ctx.client.list({
        status: status as TaskPage['status'],
        limit: place.limit,
        cursor: place.cursors[place.page],
      });
      ctx.reachable();
      lastPage = page;
      if (page.cursor) place.cursors[place.page + 1] = page.cursor;
      render(page);
    } catch (error) {
      if (!ctx.handleError(error)) replace(notice, `Could not list ${status} tasks: ${(error as Error).message}`);
    } finally {
      loading = false;
    }
  };

  const go = (page: number) => {
    if (page < 0 || page >= place.cursors.length) return;
    place.page = page;
    void load();
  };

  const refreshCounts = async () => {
    for (const counted of ctx.caps.counted) {
      try {
        counts.set(counted, await countStatus(ctx, counted));
      } catch (error) {
        if (ctx.handleError(error)) return;
      }
    }
    tabBar.update();
  };

  limitSelect.addEventListener('change', () => {
    place.limit = Number(limitSelect.value);
    place.cursors = [undefined];
    place.page = 0;
    void load();
  });

  const showReport = (what: string, result: BulkRedriveResult) => {
    const lines = [
      ...result.skipped.map((s) => `${s.taskId}: skipped, ${s.message}`),
      ...result.errors.map((e) => `${e.taskId}: ${e.status ?? ''} ${e.code ?? ''} ${e.message}`),
    ];
    replace(
      bulkReport,
      el(
        'p',
        {},
        `${what}: ${result.redriven.length} redriven, ${result.skipped.length} skipped (no longer FAILED), ${result.errors.length} errors` +
          (result.aborted ? `; stopped: ${result.aborted}` : '.'),
      ),
      lines.length ? el('ul', {}, ...lines.map((line) => el('li', {}, line))) : null,
    );
  };

  const runBulk = async (what: string, ids: string[], rate: number) => {
    bulkRunning = true;
    stopRequested = false;
    updateSelection();
    redriveAll.disabled = true;
    bulkPanel.hidden = false;
    progress.max = Math.max(1, ids.length);
    progress.value = 0;
    replace(progressText, `0 of ${ids.length}`);
    replace(bulkReport);
    try {
      const result = await redriveEach(ctx.client, ids, {
        rate,
        clock: ctx.clock,
        shouldStop: () => stopRequested,
        onOutcome: (_outcome, index) => {
          progress.value = index + 1;
          replace(progressText, `${index + 1} of ${ids.length}`);
        },
      });
      for (const id of result.redriven) selected.delete(id);
      showReport(what, result);
      if (result.fatal) ctx.handleError(result.fatal);
    } catch (error) {
      if (!ctx.handleError(error)) replace(bulkReport, `${what} failed: ${(error as Error).message}`);
    } finally {
      bulkRunning = false;
      bulkPanel.hidden = true;
      redriveAll.disabled = false;
      updateSelection();
      void load();
    }
  };

  const redriveOne = async (id: string) => {
    const ok = await ctx.confirm({
      title: 'Redrive this task?',
      message: `Task ${id} goes back to QUEUED with a fresh budget of attempts.`,
      confirmLabel: 'Redrive',
    });
    if (ok) await runBulk(`Redrive of ${id}`, [id], DEFAULT_REDRIVE_RATE);
  };

  const redriveChosen = async () => {
    const ids = (lastPage?.tasks ?? []).map((t) => t.taskId).filter((id) => selected.has(id));
    const chosen = [...new Set([...ids, ...selected])];
    const ok = await ctx.confirm({
      title: `Redrive ${chosen.length} selected task${chosen.length === 1 ? '' : 's'}?`,
      message: `Each goes back to QUEUED with a fresh budget of attempts, ${DEFAULT_REDRIVE_RATE} per second.`,
      confirmLabel: `Redrive ${chosen.length}`,
    });
    if (ok) await runBulk('Redrive of the selected tasks', chosen, DEFAULT_REDRIVE_RATE);
  };

  const redriveEveryFailed = async () => {
    const choice = await redriveAllDialog(ctx);
    if (choice) await runBulk('Redrive of every FAILED task', choice.ids, choice.rate);
  };

  element.addEventListener('change', (event) => {
    if (event.target === live) live.checked ? startTimer() : stopTimer();
  });
  let stopTimer: () => void = () => undefined;
  const startTimer = () => {
    stopTimer();
    stopTimer = every(REFRESH.list, load);
  };
  const stopCounts = every(REFRESH.counts, refreshCounts);
  void load();
  void refreshCounts();
  startTimer();
  updateSelection();

  return {
    element,
    stop: () => {
      stopTimer();
      stopCounts();
    },
    mounted: () => {
      if (tabHadFocus) element.querySelector<HTMLElement>(`#tab-${status}`)?.focus();
    },
  };
}

/**
 * Finds every FAILED task, then asks at what rate to redrive them (as `tasks redrive --all`
 * does); resolves to the ids and rate, or undefined when cancelled.
 */
function redriveAllDialog(ctx: AppContext): Promise<{ ids: string[]; rate: number } | undefined> {
  return new Promise((resolve) => {
    const status = el('p', { id: 'redrive-all-status', role: 'status' }, 'Looking for FAILED tasks…');
    const rate = el('input', {
      id: 'redrive-rate',
      type: 'number',
      min: 0.1,
      max: 100,
      step: 0.1,
      value: DEFAULT_REDRIVE_RATE,
      required: true,
    });
    const rateError = el('p', { id: 'redrive-rate-error', class: 'field-error', hidden: true });
    let ids: string[] | undefined;
    let result: { ids: string[]; rate: number } | undefined;
    const dialog = el('dialog', { class: 'modal confirm', 'aria-labelledby': 'redrive-all-title' });
    const start = button(
      'Redrive',
      () => {
        const perSecond = Number(rate.value);
        if (!(perSecond > 0) || perSecond > 100) {
          rateError.hidden = false;
          replace(rateError, 'Enter a rate above 0 and at most 100 per second.');
          rate.setAttribute('aria-invalid', 'true');
          rate.focus();
          return;
        }
        result = { ids: ids ?? [], rate: perSecond };
        dialog.close();
      },
      { class: 'primary', id: 'redrive-all-start', disabled: true },
    );
    dialog.append(
      el('h2', { id: 'redrive-all-title' }, 'Redrive every FAILED task'),
      status,
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'redrive-rate' }, 'Redrives per second'),
        rate,
        el('p', { class: 'hint' }, 'Paced like tasks redrive --all: each redrive starts at least 1/rate seconds after the previous.'),
        rateError,
      ),
      el(
        'div',
        { class: 'actions' },
        button('Cancel', () => dialog.close()),
        start,
      ),
    );
    openModal(dialog, rate, () => resolve(result));
    failedTaskIds(ctx.client, (found) => replace(status, `Looking for FAILED tasks… ${found} found so far`))
      .then((found) => {
        ids = found;
        replace(status, found.length === 0 ? 'No task is FAILED.' : `${found.length} FAILED task${found.length === 1 ? '' : 's'} found.`);
        start.disabled = found.length === 0;
        replace(start, `Redrive ${found.length}`);
      })
      .catch((error: unknown) => {
        const handled = error instanceof AuthError || error instanceof ConnectionError || error instanceof NotThisApiError;
        replace(status, `Could not list the FAILED tasks: ${(error as Error).message}`);
        if (handled) {
          dialog.close();
          ctx.handleError(error);
        }
      });
  });
}
