import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Deps } from '../lib/deps';
import { TaskNotFoundError } from '../lib/errors';
import { errorResponse, jsonResponse } from '../lib/http';
import { logger } from '../lib/logger';
import { defaultDeps } from '../lib/runtime';
import { toTaskView } from '../lib/task';
import { assertTaskId } from '../lib/validation';

function pathTaskId(event: APIGatewayProxyEvent): string | undefined {
  const raw = event.pathParameters?.taskId;
  if (raw === undefined || !raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** GET /tasks/{taskId}: status, attempts and the ordered audit history; 404 when unknown. */
export function createHandler(getDeps: () => Deps = defaultDeps) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      const deps = getDeps();
      const taskId = pathTaskId(event);
      assertTaskId(taskId);
      const task = await deps.store.get(taskId);
      if (!task) throw new TaskNotFoundError(taskId);
      return jsonResponse(200, toTaskView(task));
    } catch (error) {
      return errorResponse(error, logger);
    }
  };
}

export const handler = createHandler();
