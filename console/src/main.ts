/**
 * The operator console: asks for the API key (kept in this tab's sessionStorage), then shows
 * the tasks by status, a task's timeline, and the submit form, against the API that served
 * the page. Built by deploy/consoleAssets.js into one console.js (with zod, which the CLI client it
 * shares uses); nothing is loaded from a CDN.
 */
import './zodConfig';
import { AuthError, ConnectionError, ConsoleClient, NotThisApiError } from './api';
import { capabilitiesOf, DEFAULT_CAPABILITIES, type Capabilities } from './capabilities';
import type { AppContext, View } from './context';
import { confirmDialog } from './dialogs';
import { button, byId, el, replace } from './dom';
import { listView } from './listView';
import { parseRoute, routeHash, type Route } from './router';
import { Session, defaultBaseUrl } from './session';
import { submitView } from './submitView';
import { taskView } from './taskView';

const DEFAULT_STATUS = 'FAILED';
const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

const session = new Session(sessionStorage, defaultBaseUrl(location.href));
const main = byId('main');
const banner = byId('banner');
const flash = byId('flash');
const keyDialog = byId<HTMLDialogElement>('key-dialog');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('key-input');
const baseInput = byId<HTMLInputElement>('base-input');
const keyError = byId('key-error');
const apiBase = byId('api-base');

let caps: Capabilities = DEFAULT_CAPABILITIES;
let current: View | undefined;
let client: ConsoleClient | undefined;

function showBanner(text: string | undefined): void {
  banner.hidden = text === undefined;
  replace(banner, text ?? '');
}

/** The page's answer to what every view meets: a rejected key, an unreachable API, a URL that is not the API. */
function handleError(error: unknown): boolean {
  if (error instanceof AuthError) {
    stopView();
    replace(
      main,
      el(
        'div',
        { class: 'state state-forbidden', id: 'state-forbidden' },
        el('h2', {}, 'The API refused the key'),
        el('p', {}, `${error.status} ${error.code}: the API key is missing or not one the API accepts. Enter the key again.`),
        button('Enter the API key', () => askForKey(), { class: 'primary' }),
      ),
    );
    askForKey(`The API answered ${error.status} ${error.code}: this key is not accepted.`);
    return true;
  }
  if (error instanceof ConnectionError) {
    showBanner(`Cannot reach the API at ${error.url} (${error.reason}). Retrying every few seconds.`);
    return true;
  }
  if (error instanceof NotThisApiError) {
    showBanner(`${session.baseUrl} answers, but not as this API (${error.status} ${error.code}): check the API base URL.`);
    return true;
  }
  return false;
}

/** The location a message was shown for: it stays until the user goes elsewhere. */
let flashHash = '';
function notify(message: string): void {
  flashHash = location.hash;
  replace(
    flash,
    el('span', {}, message),
    ' ',
    button('Dismiss', () => replace(flash), { class: 'link', 'aria-label': 'Dismiss message' }),
  );
}

function stopView(): void {
  current?.stop();
  current = undefined;
}

function context(): AppContext {
  return {
    client: client!,
    caps,
    clock,
    handleError,
    reachable: () => showBanner(undefined),
    confirm: confirmDialog,
    navigate: (route: Route) => {
      const hash = routeHash(route);
      if (location.hash === hash) show();
      else location.hash = hash;
    },
    notify,
  };
}

/** Mounts the view of the current location. */
function show(): void {
  stopView();
  if (!client) {
    replace(
      main,
      el(
        'div',
        { class: 'state', id: 'state-no-key' },
        el('h2', {}, 'No API key yet'),
        el('p', {}, 'The console calls the API with your key; it stays in this tab only.'),
        button('Enter the API key', () => askForKey(), { class: 'primary' }),
      ),
    );
    return;
  }
  const route = parseRoute(location.hash, caps.statuses, DEFAULT_STATUS);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav.main a[data-view]')) {
    if (link.dataset.view === route.view || (route.view === 'task' && link.dataset.view === 'list'))
      link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const ctx = context();
  current = route.view === 'task' ? taskView(ctx, route.taskId) : route.view === 'submit' ? submitView(ctx) : listView(ctx, route.status);
  replace(main, current.element);
  current.mounted?.();
  document.title = `${route.view === 'task' ? route.taskId : route.view === 'submit' ? 'Submit' : route.status} · task-pipeline console`;
}

/** Opens the key dialog, with `problem` above the fields when given. */
function askForKey(problem?: string): void {
  keyError.hidden = problem === undefined;
  replace(keyError, problem ?? '');
  keyInput.value = '';
  baseInput.value = session.baseUrl;
  if (!keyDialog.open) keyDialog.showModal();
  keyInput.focus();
}

/** Tries the key with one cheap listing before keeping it. */
async function connect(apiKey: string, baseUrl: string): Promise<void> {
  const candidate = new ConsoleClient({ baseUrl, apiKey });
  try {
    await candidate.list({ status: caps.statuses[0] as never, limit: 1 });
  } catch (error) {
    keyError.hidden = false;
    if (error instanceof AuthError) replace(keyError, `The API answered ${error.status} ${error.code}: this key is not accepted.`);
    else if (error instanceof ConnectionError) replace(keyError, `Cannot reach the API at ${error.url} (${error.reason}).`);
    else replace(keyError, `The API did not accept the request: ${(error as Error).message}`);
    keyInput.focus();
    return;
  }
  session.connect(apiKey, baseUrl);
  await start();
  keyDialog.close();
}

async function start(): Promise<void> {
  const apiKey = session.apiKey;
  client = apiKey ? new ConsoleClient({ baseUrl: session.baseUrl, apiKey }) : undefined;
  replace(apiBase, session.baseUrl);
  const description = await new ConsoleClient({ baseUrl: session.baseUrl }).description();
  caps = description ? capabilitiesOf(description) : DEFAULT_CAPABILITIES;
  show();
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const apiKey = keyInput.value.trim();
  if (apiKey === '') {
    keyError.hidden = false;
    replace(keyError, 'Enter the API key.');
    keyInput.focus();
    return;
  }
  void connect(apiKey, baseInput.value.trim() || defaultBaseUrl(location.href));
});
byId('key-cancel').addEventListener('click', () => keyDialog.close());
byId('change-key').addEventListener('click', () => askForKey());
byId('forget-key').addEventListener('click', () => {
  session.forget();
  client = undefined;
  show();
  askForKey();
});
window.addEventListener('hashchange', () => {
  if (location.hash !== flashHash) replace(flash);
  show();
});

void start().then(() => {
  if (!client) askForKey();
});
