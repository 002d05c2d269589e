import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createLog, type Log, type RootLog } from '../lib/adapters/logger';
import { errorResponse } from '../lib/lambda/http';
import { StaticFiles, notFoundResponse, type StaticFile } from '../lib/lambda/staticFiles';

/** Where deploy/consoleAssets.js puts the built console beside the compiled handlers (in the zip too). */
export const CONSOLE_DIR = path.join(__dirname, '..', 'dist', 'console');

let log: RootLog | undefined;
/** The function's logger, made on the first error: it reads no configuration, so the service name is the default. */
const consoleLog = (): RootLog => (log ??= createLog({ serviceName: 'task-pipeline', logLevel: 'INFO' }));

/** Every file the function serves, by its path on the API: the allow-list, and all deploy/consoleAssets.js builds. */
export const CONSOLE_FILES: Readonly<Record<string, StaticFile>> = {
  '/console': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', contentType: 'text/javascript; charset=utf-8' },
  '/console/console.css': { file: 'console.css', contentType: 'text/css; charset=utf-8' },
  '/console/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
  '/openapi.json': { file: 'openapi.json', contentType: 'application/json; charset=utf-8' },
};

/** The API path a request asks for: the route's resource, with `{asset}` filled in. */
function requestedPath(event: Pick<APIGatewayProxyEvent, 'resource' | 'pathParameters'>): string {
  if (event.resource === '/console/{asset}') return `/console/${event.pathParameters?.asset ?? ''}`;
  return event.resource;
}

/** GET /console, GET /console/{asset}, GET /openapi.json: the operator console and the API description, no key needed. */
export const createHandler =
  (files = new StaticFiles(CONSOLE_DIR, CONSOLE_FILES), getLog: () => Log = consoleLog) =>
  async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      return (
        files.respond(requestedPath(event)) ?? notFoundResponse('ASSET_NOT_FOUND', 'the console has no file of that name; open /console')
      );
    } catch (error) {
      return errorResponse(error, getLog());
    }
  };

export const handler = createHandler();
