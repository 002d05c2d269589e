import { jsonResponse } from '../lib/lambda/http';
import { httpHandler } from '../lib/lambda/httpHandler';
import { redrive } from '../lib/app/redrive';
import { defaultDeps } from '../lib/runtime';
import { toTaskView } from '../lib/domain/task';
import { assertTaskId, pathTaskId } from '../lib/lambda/validation';

/** POST /tasks/{taskId}/redrive: a FAILED task back to QUEUED with a fresh attempt budget (202); 409 otherwise. */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const taskId = pathTaskId(event);
    assertTaskId(taskId);
    const task = await redrive(taskId, deps);
    return jsonResponse(202, toTaskView(task), { Location: `/tasks/${encodeURIComponent(taskId)}` });
  }, getDeps);

export const handler = createHandler();
