import { LocalStackError } from './processes';
import type { ServerlessConfig } from './serverlessConfig';

/** One `http` event of a function: a method on a resource of the REST API, as API Gateway deploys it. */
export interface ApiRoute {
  functionKey: string;
  functionName: string;
  /** Upper case, e.g. GET; ANY matches every method. */
  method: string;
  /** The resource path as API Gateway names it, e.g. /tasks/{taskId}. */
  resourcePath: string;
  /** `private: true`: the method requires an API key. */
  apiKeyRequired: boolean;
}

/** The part of an `http` event this local gateway reads. */
interface HttpEventConfig {
  path: string;
  method: string;
  private?: boolean;
  integration?: string;
  cors?: unknown;
  authorizer?: unknown;
}

/** Settings of an http event whose behaviour this gateway does not reproduce: refused rather than ignored. */
const UNSUPPORTED: (keyof HttpEventConfig)[] = ['cors', 'authorizer'];

function httpEventOf(raw: unknown, where: string): HttpEventConfig {
  if (typeof raw === 'string') {
    // Shorthand `http: GET tasks`.
    const [method, path] = raw.trim().split(/\s+/);
    return { method, path };
  }
  const event = raw as HttpEventConfig;
  if (typeof event?.path !== 'string' || typeof event.method !== 'string') throw new LocalStackError(`${where} needs a path and a method`);
  return event;
}

/** The REST API's routes: every `http` event of serverless.yml's functions. */
export function apiRoutes(config: ServerlessConfig): ApiRoute[] {
  return Object.entries(config.functions).flatMap(([functionKey, fn]) =>
    (fn.events ?? [])
      .filter((event) => event.http !== undefined)
      .map((event, i) => {
        const where = `functions.${functionKey}.events[${i}].http`;
        const http = httpEventOf(event.http, where);
        const integration = (http.integration ?? 'lambda-proxy').toLowerCase();
        if (integration !== 'lambda-proxy' && integration !== 'aws_proxy') {
          throw new LocalStackError(
            `${where}.integration '${http.integration}' is not supported by the local API Gateway (Lambda proxy only)`,
          );
        }
        for (const key of UNSUPPORTED) {
          if (http[key] !== undefined && http[key] !== false)
            throw new LocalStackError(`${where}.${key} is not supported by the local API Gateway`);
        }
        const segments = http.path.split('/').filter((segment) => segment !== '');
        return {
          functionKey,
          functionName: fn.name,
          method: http.method.toUpperCase(),
          resourcePath: `/${segments.join('/')}`,
          apiKeyRequired: http.private === true,
        };
      }),
  );
}

export interface RouteMatch {
  route: ApiRoute;
  /** Path parameters as they appear in the request: still percent-encoded, as API Gateway passes them. */
  pathParameters: Record<string, string> | null;
}

/** `{name}` or the greedy `{name+}`. */
const PARAMETER = /^\{([^{}+]+)(\+?)\}$/;

function matchSegments(resource: string[], request: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < resource.length; i++) {
    const parameter = PARAMETER.exec(resource[i]);
    if (parameter?.[2] === '+') {
      const rest = request.slice(i);
      if (rest.length === 0 || rest.some((segment) => segment === '')) return undefined;
      parameters[parameter[1]] = rest.join('/');
      return parameters;
    }
    const segment = request[i];
    if (segment === undefined) return undefined;
    if (parameter) {
      // A path parameter is never empty: /tasks//redrive matches no resource.
      if (segment === '') return undefined;
      parameters[parameter[1]] = segment;
    } else if (segment !== resource[i]) return undefined;
  }
  return resource.length === request.length ? parameters : undefined;
}

function specificity(route: ApiRoute): number[] {
  // Literal segments beat {param}, which beats {proxy+}, segment by segment (API Gateway's rule).
  return route.resourcePath
    .split('/')
    .slice(1)
    .map((segment) => (PARAMETER.exec(segment) ? (segment.endsWith('+}') ? 0 : 1) : 2));
}

function compareSpecificity(a: ApiRoute, b: ApiRoute): number {
  const [sa, sb] = [specificity(a), specificity(b)];
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const diff = (sb[i] ?? -1) - (sa[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The route of a request, matched on the raw (still percent-encoded) path the way API
 * Gateway matches resources: segment by segment, no decoding, no dot-segment removal.
 * A resource that exists without the method is no match, as on API Gateway (there it is a
 * MISSING_AUTHENTICATION_TOKEN like an unknown path).
 */
export function matchRoute(routes: ApiRoute[], method: string, rawPath: string): RouteMatch | undefined {
  const request = rawPath === '/' ? [] : rawPath.split('/').slice(1);
  const candidates = routes
    .map((route) => ({
      route,
      pathParameters: matchSegments(
        route.resourcePath
          .split('/')
          .slice(1)
          .filter((s) => s !== ''),
        request,
      ),
    }))
    .filter((match): match is { route: ApiRoute; pathParameters: Record<string, string> } => match.pathParameters !== undefined);
  if (candidates.length === 0) return undefined;
  const resource = candidates.map((c) => c.route).sort(compareSpecificity)[0].resourcePath;
  const onResource = candidates.filter((c) => c.route.resourcePath === resource);
  const match = onResource.find((c) => c.route.method === method) ?? onResource.find((c) => c.route.method === 'ANY');
  if (!match) return undefined;
  return { route: match.route, pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null };
}
