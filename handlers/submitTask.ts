import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Deps } from '../lib/deps';
import { errorResponse, jsonResponse } from '../lib/http';
import { logger } from '../lib/logger';
import { defaultDeps } from '../lib/runtime';
import { submitTask } from '../lib/submitTask';
import { toTaskView } from '../lib/task';
import { parseSubmitRequest } from '../lib/validation';

/** POST /tasks: 202 for a new task, 200 for an idempotent resubmission, 4xx for bad input. */
export function createHandler(getDeps: () => Deps = defaultDeps) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      const deps = getDeps();
      const request = parseSubmitRequest(event, deps.config.maxBodyBytes);
      const { created, task } = await submitTask(request, deps);
      return jsonResponse(created ? 202 : 200, toTaskView(task), { Location: `/tasks/${encodeURIComponent(task.taskId)}` });
    } catch (error) {
      return errorResponse(error, logger);
    }
  };
}

export const handler = createHandler();
