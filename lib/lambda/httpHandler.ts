import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Deps } from '../deps';
import { errorResponse } from './http';
import { logger } from '../adapters/logger';

/**
 * Wraps an API route: per-invocation log context, every error mapped to a JSON
 * response in one place, metrics published once per request.
 */
export function httpHandler(route: (event: APIGatewayProxyEvent, deps: Deps) => Promise<APIGatewayProxyResult>, getDeps: () => Deps) {
  return async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
    if (context) logger.addContext(context);
    let deps: Deps | undefined;
    try {
      deps = getDeps();
      return await route(event, deps);
    } catch (error) {
      return errorResponse(error, logger);
    } finally {
      deps?.metrics.publish();
    }
  };
}
