import { TaskNotFoundError, type ConsoleTask } from './api';
import { REFRESH, every, type AppContext, type View } from './context';
import { button, el, replace } from './dom';
import { formatTime, relativeTime } from './format';
import { timelineView } from './timelineView';

const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** One task: its facts, its history on a timeline, and what can be done to it; refreshed live. */
export function taskView(ctx: AppContext, taskId: string): View {
  let task: ConsoleTask | undefined;
  let busy = false;
  const heading = el('h2', { id: 'task-title' }, 'Task ', el('code', { class: 'task-id' }, taskId));
  const statusBadge = el('span', { class: 'badge', id: 'task-status' });
  const actions = el('div', { class: 'actions', id: 'task-actions' });
  const message = el('p', { class: 'notice', id: 'task-message', role: 'status', 'aria-live': 'polite' });
  const updated = el('span', { class: 'updated' });
  const body = el('div', { class: 'task-body' });
  const back = el('a', { href: '#/tasks/FAILED', class: 'back' }, '← Tasks');
  const element = el(
    'section',
    { class: 'task-view', 'aria-labelledby': 'task-title' },
    el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, back),
    el('header', { class: 'task-head' }, heading, statusBadge, actions),
    el('p', { class: 'live-line' }, updated),
    message,
    body,
  );

  const act = async (what: 'redrive' | 'cancel') => {
    const ok = await ctx.confirm(
      what === 'redrive'
        ? {
            title: 'Redrive this task?',
            message: `Task ${taskId} goes back to QUEUED with a fresh budget of attempts.`,
            confirmLabel: 'Redrive',
          }
        : { title: 'Cancel this task?', message: `Task ${taskId} will not be attempted again.`, confirmLabel: 'Cancel the task' },
    );
    if (!ok) return;
    busy = true;
    render();
    try {
      task = what === 'redrive' ? await ctx.client.redrive(taskId) : await ctx.client.cancel(taskId);
      replace(message, what === 'redrive' ? `Redriven: the task is ${task.status} again.` : `Cancelled: the task is ${task.status}.`);
    } catch (error) {
      if (!ctx.handleError(error)) replace(message, `The ${what} was refused: ${(error as Error).message}`);
    } finally {
      busy = false;
      await load();
    }
  };

  const fact = (term: string, ...value: (Node | string)[]) => [el('dt', {}, term), el('dd', {}, ...value)];
  const time = (iso: string) => el('time', { datetime: iso, title: iso }, `${formatTime(iso)} (${relativeTime(iso, ctx.clock.now())})`);

  function render() {
    if (!task) return;
    const t = task;
    statusBadge.className = `badge status-${t.status}`;
    replace(statusBadge, t.status);
    back.setAttribute('href', `#/tasks/${t.status}`);
    replace(back, `← ${t.status} tasks`);
    const buttons: HTMLElement[] = [];
    if (t.status === 'FAILED')
      buttons.push(button('Redrive', () => void act('redrive'), { id: 'redrive-task', class: 'primary', disabled: busy }));
    if (ctx.caps.canCancel && !FINISHED.includes(t.status))
      buttons.push(button('Cancel task', () => void act('cancel'), { id: 'cancel-task', disabled: busy }));
    const focused = (document.activeElement as HTMLElement | null)?.id;
    replace(actions, ...buttons);
    if (focused) document.getElementById(focused)?.focus();
    replace(
      updated,
      FINISHED.includes(t.status) ? 'Finished; checked every 10 s' : 'Live: refreshed every 2 s',
      ` · updated ${formatTime(new Date(ctx.clock.now()).toISOString()).slice(11, 19)}`,
    );
    const facts = el(
      'dl',
      { class: 'facts' },
      ...fact('Status', t.status),
      ...(t.type !== undefined ? fact('Type', String(t.type)) : []),
      ...fact('Attempts', `${t.attempts} of ${t.maxAttempts}`),
      ...fact('Created', time(t.createdAt)),
      ...fact('Updated', time(t.updatedAt)),
      ...(t.nextAttemptAt ? fact(t.attempts === 0 ? 'First attempt due' : 'Next attempt', time(t.nextAttemptAt)) : []),
      ...fact('Correlation id', el('code', {}, t.correlationId)),
      ...fact('Last error', t.lastError ? el('span', { class: 'error-text' }, `${t.lastError.name}: ${t.lastError.message}`) : 'none'),
    );
    const openDetails = new Set([...body.querySelectorAll('details[open]')].map((d) => d.id));
    replace(
      body,
      facts,
      el(
        'section',
        { class: 'card', 'aria-labelledby': 'timeline-title' },
        el('h3', { id: 'timeline-title' }, 'Timeline'),
        timelineView(t.history, t.status, ctx.clock.now()),
      ),
      t.result !== undefined
        ? el('section', { class: 'card' }, el('h3', {}, 'Result'), el('pre', { class: 'json', id: 'task-result' }, json(t.result)))
        : null,
      t.payload !== undefined
        ? el('section', { class: 'card' }, el('h3', {}, 'Payload'), el('pre', { class: 'json', id: 'task-payload' }, json(t.payload)))
        : null,
      el(
        'details',
        { class: 'card', id: 'raw-json', open: openDetails.has('raw-json') },
        el('summary', {}, 'The task as the API returns it (JSON)'),
        el('pre', { class: 'json' }, json(t)),
      ),
    );
  }

  const load = async () => {
    try {
      task = await ctx.client.task(taskId);
      ctx.reachable();
      render();
    } catch (error) {
      if (error instanceof TaskNotFoundError) {
        replace(
          body,
          el('div', { class: 'empty' }, el('p', { class: 'empty-title' }, `No task has the id ${taskId}.`), el('p', {}, error.message)),
        );
        replace(statusBadge);
        return;
      }
      if (!ctx.handleError(error)) replace(message, `Could not read the task: ${(error as Error).message}`);
    }
  };

  replace(body, el('p', { class: 'loading' }, 'Loading…'));
  void load();
  const stop = every(() => (task && FINISHED.includes(task.status) ? REFRESH.finishedTask : REFRESH.liveTask), load);
  return { element, stop };
}
