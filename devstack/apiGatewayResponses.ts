import type { CfnResource } from './serverlessConfig';

/** An error API Gateway answers itself, before or instead of the function. */
export interface GatewayError {
  /** What `$context.error.responseType` says. */
  responseType: string;
  /** API Gateway's status when no gateway response overrides it. */
  statusCode: number;
  /** What `$context.error.message` says. */
  message: string;
  /** API Gateway's x-amzn-ErrorType header. */
  errorType: string;
  /** False for the responses API Gateway does not let a gateway response change. */
  customizable: boolean;
}

/** The errors the local API Gateway raises, with API Gateway's defaults for each. */
export const GATEWAY_ERRORS = {
  /** No resource for the path, or no method on it (OPTIONS included, when CORS is not configured). */
  unknownRoute: {
    responseType: 'MISSING_AUTHENTICATION_TOKEN',
    statusCode: 403,
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
    customizable: true,
  },
  /** A method with `private: true` called without a key, or with one that is not in the usage plan. */
  invalidApiKey: {
    responseType: 'INVALID_API_KEY',
    statusCode: 403,
    message: 'Forbidden',
    errorType: 'ForbiddenException',
    customizable: true,
  },
  /** Over the 10 MB payload quota. API Gateway does not support customizing this one (known issue). */
  requestTooLarge: {
    responseType: 'REQUEST_TOO_LARGE',
    statusCode: 413,
    message: 'Request Too Long',
    errorType: 'RequestTooLargeException',
    customizable: false,
  },
  /** The function did not answer within the 29 s integration timeout. */
  integrationTimeout: {
    responseType: 'INTEGRATION_TIMEOUT',
    statusCode: 504,
    message: 'Endpoint request timed out',
    errorType: 'InternalServerErrorException',
    customizable: true,
  },
  /** The function failed (threw, timed out) or answered something that is not a proxy response. */
  integrationError: {
    responseType: 'DEFAULT_5XX',
    statusCode: 502,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
    customizable: true,
  },
} satisfies Record<string, GatewayError>;

/** One AWS::ApiGateway::GatewayResponse of serverless.yml's resources. */
export interface GatewayResponseConfig {
  responseType: string;
  statusCode?: number;
  /** Body templates by content type. */
  templates: Record<string, string>;
  /** `gatewayresponse.header.<name>` parameters: a quoted static value or `method.request.header.<name>`. */
  headers: Record<string, string>;
}

/** The gateway responses of the resources, by response type. */
export function gatewayResponses(resources: Record<string, CfnResource>): Map<string, GatewayResponseConfig> {
  const result = new Map<string, GatewayResponseConfig>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::GatewayResponse') continue;
    const p = resource.Properties ?? {};
    const headers = Object.fromEntries(
      Object.entries((p.ResponseParameters ?? {}) as Record<string, string>)
        .filter(([name]) => name.startsWith('gatewayresponse.header.'))
        .map(([name, value]) => [name.slice('gatewayresponse.header.'.length), value]),
    );
    result.set(String(p.ResponseType), {
      responseType: String(p.ResponseType),
      ...(p.StatusCode !== undefined ? { statusCode: Number(p.StatusCode) } : {}),
      templates: (p.ResponseTemplates ?? {}) as Record<string, string>,
      headers,
    });
  }
  return result;
}

/** What a gateway response template can refer to, as API Gateway fills `$context`. */
export interface GatewayResponseContext {
  requestId: string;
  extendedRequestId: string;
  stage: string;
  httpMethod: string;
  path: string;
  resourcePath?: string;
  /** The request's headers, lower-cased names: for `method.request.header.*` parameters. */
  requestHeaders: Record<string, string | undefined>;
}

export interface RenderedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** API Gateway's template when no gateway response applies. */
const BUILT_IN_TEMPLATE = '{"message":$context.error.messageString}';

function substitute(template: string, variables: Record<string, string>): string {
  // Gateway response templates get $context variables substituted, not VTL: unknown ones render empty.
  return template.replace(
    /\$(context|stageVariables)((?:\.[A-Za-z0-9_]+)+)/g,
    (_, root: string, path: string) => variables[`${root}${path}`] ?? '',
  );
}

function headerValue(expression: string, context: GatewayResponseContext): string {
  const quoted = /^'(.*)'$/s.exec(expression);
  if (quoted) return quoted[1];
  const fromHeader = /^method\.request\.header\.(.+)$/.exec(expression);
  if (fromHeader) return context.requestHeaders[fromHeader[1].toLowerCase()] ?? '';
  return '';
}

/**
 * The response API Gateway sends for `error`: the gateway response of its type, else
 * DEFAULT_4XX / DEFAULT_5XX, else the built-in `{"message": ...}`; status, headers and
 * body template as those resources define them.
 */
export function renderGatewayResponse(
  responses: Map<string, GatewayResponseConfig>,
  error: GatewayError,
  context: GatewayResponseContext,
): RenderedResponse {
  const family = error.statusCode >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const own = error.customizable ? responses.get(error.responseType) : undefined;
  const fallback = error.customizable ? responses.get(family) : undefined;
  const chosen = own ?? fallback;
  const statusCode = own?.statusCode ?? fallback?.statusCode ?? error.statusCode;
  const [contentType, template] = Object.entries(chosen?.templates ?? {}).sort(
    ([a], [b]) => Number(b === 'application/json') - Number(a === 'application/json'),
  )[0] ?? ['application/json', BUILT_IN_TEMPLATE];
  const variables: Record<string, string> = {
    'context.error.responseType': error.responseType,
    'context.error.message': error.message,
    'context.error.messageString': JSON.stringify(error.message),
    'context.requestId': context.requestId,
    'context.extendedRequestId': context.extendedRequestId,
    'context.stage': context.stage,
    'context.httpMethod': context.httpMethod,
    'context.path': context.path,
    'context.resourcePath': context.resourcePath ?? '',
  };
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'x-amzn-ErrorType': error.errorType,
    ...Object.fromEntries(Object.entries(chosen?.headers ?? {}).map(([name, expression]) => [name, headerValue(expression, context)])),
  };
  return { statusCode, headers, body: substitute(template, variables) };
}
