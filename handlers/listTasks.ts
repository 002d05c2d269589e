import { jsonResponse } from '../lib/lambda/http';
import { httpHandler } from '../lib/lambda/httpHandler';
import { defaultDeps } from '../lib/runtime';
import { parseListQuery } from '../lib/lambda/validation';

/** GET /tasks?status=FAILED&limit=20&cursor=...: tasks in a status, newest first by when each entered its phase
 * (finished, for SUCCEEDED and FAILED; submitted or redriven, for the others). */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const query = parseListQuery(event.queryStringParameters);
    const page = await deps.store.list(query.status, { limit: query.limit, cursor: query.cursor });
    return jsonResponse(200, { status: query.status, tasks: page.tasks, cursor: page.cursor ?? null });
  }, getDeps);

export const handler = createHandler();
