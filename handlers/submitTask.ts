import { httpHandler } from '../lib/httpHandler';
import { jsonResponse } from '../lib/http';
import { defaultDeps } from '../lib/runtime';
import { submitTask } from '../lib/submitTask';
import { toTaskView } from '../lib/task';
import { parseSubmitRequest } from '../lib/validation';

/** POST /tasks: 202 for a new task, 200 for an idempotent resubmission, 4xx for bad input. */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const request = parseSubmitRequest(event, deps.config.maxBodyBytes);
    const { created, task } = await submitTask(request, deps);
    return jsonResponse(created ? 202 : 200, toTaskView(task), { Location: `/tasks/${encodeURIComponent(task.taskId)}` });
  }, getDeps);

export const handler = createHandler();
