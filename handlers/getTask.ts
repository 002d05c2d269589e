import { TaskNotFoundError } from '../lib/domain/errors';
import { jsonResponse } from '../lib/lambda/http';
import { httpHandler } from '../lib/lambda/httpHandler';
import { defaultDeps } from '../lib/runtime';
import { toTaskView } from '../lib/domain/task';
import { assertTaskId, pathTaskId } from '../lib/lambda/validation';

/** GET /tasks/{taskId}: status, attempts and the ordered audit history; 404 when unknown. */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const taskId = pathTaskId(event);
    assertTaskId(taskId);
    const task = await deps.store.get(taskId);
    if (!task) throw new TaskNotFoundError(taskId);
    return jsonResponse(200, toTaskView(task));
  }, getDeps);

export const handler = createHandler();
