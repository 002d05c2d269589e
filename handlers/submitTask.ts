import { httpHandler } from '../lib/lambda/httpHandler';
import { jsonResponse } from '../lib/lambda/http';
import { defaultDeps } from '../lib/runtime';
import { submit } from '../lib/app/submit';
import { toTaskView } from '../lib/domain/task';
import { correlationIdOf, parseSubmitRequest } from '../lib/lambda/validation';

/** POST /tasks: 202 for a new task, 200 for an idempotent resubmission, 4xx for bad input. */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const request = parseSubmitRequest(event, deps.config.maxBodyBytes, deps.types);
    const { created, task } = await submit({ ...request, correlationId: correlationIdOf(event) }, deps);
    return jsonResponse(created ? 202 : 200, toTaskView(task), {
      Location: `/tasks/${encodeURIComponent(task.taskId)}`,
      'X-Correlation-Id': task.correlationId,
    });
  }, getDeps);

export const handler = createHandler();
