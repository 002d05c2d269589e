import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Deps } from '../deps';
import type { RootLog } from '../adapters/logger';
import { bootLog } from '../runtime';
import { errorResponse } from './http';

/**
 * Wraps an API route: per-invocation log context, every error mapped to a JSON
 * response in one place, metrics published once per request. Logs go to `deps.log`;
 * `getBootLog` serves only when the dependencies cannot be built (a configuration error).
 */
export function httpHandler(
  route: (event: APIGatewayProxyEvent, deps: Deps) => Promise<APIGatewayProxyResult>,
  getDeps: () => Deps,
  getBootLog: () => RootLog = bootLog,
) {
  return async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
    let deps: Deps | undefined;
    try {
      deps = getDeps();
      if (context) deps.log.addContext(context);
      return await route(event, deps);
    } catch (error) {
      let log = deps?.log;
      if (!log) {
        log = getBootLog();
        if (context) log.addContext(context);
      }
      return errorResponse(error, log);
    } finally {
      deps?.metrics.publish();
    }
  };
}
