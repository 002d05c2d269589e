/** The console's places, kept in the URL's fragment (never the API key): a status tab, a task, the submit form. */
export type Route = { view: 'list'; status: string } | { view: 'task'; taskId: string } | { view: 'submit' };

/** The route of a location hash; anything unknown is the list of `defaultStatus`. */
export function parseRoute(hash: string, statuses: readonly string[], defaultStatus: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'task' && parts.length === 2 && parts[1] !== '') {
    try {
      return { view: 'task', taskId: decodeURIComponent(parts[1]) };
    } catch {
      return { view: 'list', status: defaultStatus };
    }
  }
  if (parts[0] === 'submit') return { view: 'submit' };
  if (parts[0] === 'tasks' && statuses.includes(parts[1])) return { view: 'list', status: parts[1] };
  return { view: 'list', status: defaultStatus };
}

/** The location hash of a route. */
export function routeHash(route: Route): string {
  if (route.view === 'task') return `#/task/${encodeURIComponent(route.taskId)}`;
  if (route.view === 'submit') return '#/submit';
  return `#/tasks/${route.status}`;
}
