import { jsonResponse } from '../lib/lambda/http';
import { httpHandler } from '../lib/lambda/httpHandler';
import { cancel } from '../lib/app/cancel';
import { defaultDeps } from '../lib/runtime';
import { toTaskView } from '../lib/domain/task';
import { assertTaskId, pathTaskId } from '../lib/lambda/validation';

/** POST /tasks/{taskId}/cancel: a QUEUED or RETRY_SCHEDULED task to CANCELLED (200, also when already CANCELLED); 409 otherwise. */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const taskId = pathTaskId(event);
    assertTaskId(taskId);
    const task = await cancel(taskId, deps);
    return jsonResponse(200, toTaskView(task));
  }, getDeps);

export const handler = createHandler();
