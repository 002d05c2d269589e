import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { type AddressClass, classifyAddress, describeForbidden } from '../domain/addresses';
import type { FieldProblem } from '../domain/errors';
import { describeType } from '../domain/taskId';
import {
  defineTaskType,
  type JsonValue,
  PermanentError,
  RetryLaterError,
  type TaskContext,
  type TaskPolicy,
  type TaskType,
} from './contract';

/** What a webhook task carries: the receiver's URL and the JSON to POST to it (null when left out). */
export type WebhookPayload = { url: string; body?: JsonValue };

/** An address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address of a host name (node:dns lookup by default). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** One POST, for a Connector to send. */
export interface WebhookRequest {
  /** Where to POST: the Host header and the TLS name (SNI, certificate check) come from its hostname. */
  url: URL;
  /** The vetted addresses of url's host: connect to one of these, never resolve the name again (DNS rebinding). */
  addresses: ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  /** Aborts at the attempt's deadline: the connection must be closed then. */
  signal: AbortSignal;
}

/** The receiver's answer: its status and headers (names in lower case). */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends a WebhookRequest (node:http / node:https by default); rejects on network errors and aborts. */
export type Connector = (request: WebhookRequest) => Promise<WebhookResponse>;

export interface WebhookOptions {
  /** The local stage: http: to a loopback address or localhost (tests, the demo), and loopback addresses, are allowed. */
  allowLocalHttp: boolean;
  resolve?: Resolver;
  connect?: Connector;
  /** The wall clock, for a Retry-After given as an HTTP-date. */
  clock?: () => Date;
}

/**
 * Five attempts; the retries wait a uniform draw up to 5, 10, 20 and 40 s (full jitter spreads
 * the load on a recovering receiver), longer when a Retry-After asks. 10 s per attempt stays
 * within the processor's 15 s, less the time to record the outcome.
 */
/** Six attempts over several minutes (15, 30, 60, 120, 240 s, jittered): a receiver down for a deploy is waited out. */
export const WEBHOOK_POLICY: TaskPolicy = { maxAttempts: 6, baseSeconds: 15, maxDelaySeconds: 300, jitter: 'full', timeoutSeconds: 10 };

/** Fields a webhook payload may hold: a typo (`bdy`) is refused at submit rather than sending null. */
const WEBHOOK_FIELDS: readonly string[] = ['url', 'body'];

/** The longest delay a Retry-After may ask for: SQS's largest DelaySeconds. */
export const MAX_RETRY_AFTER_SECONDS = 900;
/** Bytes of a response body read (and discarded) before the connection is closed. */
export const RESPONSE_BYTES_READ = 4096;
export const USER_AGENT = 'task-pipeline-webhook';

/** A failed attempt worth retrying: a network error, a timeout, a 408, 429 or 5xx. */
export class WebhookFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookFailed';
  }
}

const PUBLIC_ONLY = 'webhooks call public addresses only';

/** A URL host without IPv6 brackets. */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Names that always mean this machine (RFC 6761), whatever DNS says. */
const isLocalhostName = (host: string): boolean => /(^|\.)localhost\.?$/i.test(host);

/** Why an address may not be called, or undefined when it may: public, or loopback where the stage allows it. */
function refusalOf(verdict: AddressClass, allowLocalHttp: boolean): string | undefined {
  if (verdict.public || (allowLocalHttp && verdict.reason === 'loopback')) return undefined;
  return `${describeForbidden(verdict)}: ${PUBLIC_ONLY}`;
}

/** Why a resolved address may not be called, or undefined when it may. */
function addressRefusal(address: string, protocol: string, allowLocalHttp: boolean): string | undefined {
  const verdict = classifyAddress(address);
  if (!verdict) return `resolved to ${JSON.stringify(address)}, which is not an IP address`;
  const refusal = refusalOf(verdict, allowLocalHttp);
  if (refusal) return `resolves to ${refusal}`;
  // Only on the local stage: plain text must not leave the machine.
  if (protocol === 'http:' && verdict.public) return `resolves to ${address}: http: may go to loopback addresses only`;
  return undefined;
}

/** The first problem with payload.url, or undefined. */
function urlProblem(value: unknown, allowLocalHttp: boolean): string | undefined {
  if (value === undefined) return 'is required: the https: URL to POST payload.body to';
  if (typeof value !== 'string') return `must be a string (an https: URL), got ${describeType(value)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL, such as https://example.com/hook';
  }
  // The payload is stored with the task, returned by GET and logged when the task fails: no place for a password.
  if (url.username || url.password)
    return 'must not contain credentials (user:password@): the URL is stored with the task, returned by GET and logged if it fails';
  const host = bareHost(url);
  const verdict = classifyAddress(host);
  const loopback = isLocalhostName(host) || (verdict !== undefined && !verdict.public && verdict.reason === 'loopback');
  if (url.protocol === 'http:') {
    if (!allowLocalHttp) return 'must use https: (plain http: is refused on this stage)';
    if (!loopback) return 'may use http: only to a loopback address (127.0.0.1, [::1]) or localhost on this stage; use https:';
  } else if (url.protocol !== 'https:') {
    return `must use https:, got ${url.protocol}`;
  }
  const refusal = verdict && refusalOf(verdict, allowLocalHttp);
  if (refusal) return `host ${refusal}`;
  if (!allowLocalHttp && isLocalhostName(host)) return `host ${url.hostname} always means this machine (loopback): ${PUBLIC_ONLY}`;
  return undefined;
}

/**
 * Seconds a Retry-After header (delay-seconds or an HTTP-date) asks to wait, at most 900;
 * undefined when it is absent, unreadable or asks for no wait.
 */
export function retryAfterSeconds(header: string | string[] | undefined, now: Date): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!text) return undefined;
  const seconds = /^\d+$/.test(text) ? Number(text) : Math.ceil((Date.parse(text) - now.getTime()) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, seconds);
}

/** A redirect's target as an error message shows it: resolved, with any query or fragment left out (they may carry tokens). */
function shownLocation(location: string | string[] | undefined, base: URL): string {
  const text = Array.isArray(location) ? location[0] : location;
  if (!text) return 'a missing Location';
  try {
    const target = new URL(text, base);
    return `${target.origin}${target.pathname}${target.search || target.hash ? '?…' : ''}`;
  } catch {
    return 'an invalid Location';
  }
}

/** A lookup for http(s).request that answers with the vetted addresses only, as node:dns would. */
export function vettedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const matching = addresses.filter((candidate) => family === 0 || candidate.family === family);
    process.nextTick(() => {
      if (matching.length === 0) {
        callback(Object.assign(new Error(`no vetted IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      } else if (options.all) {
        callback(null, matching);
      } else {
        callback(null, matching[0].address, matching[0].family);
      }
    });
  };
}

/** The default Connector: one fresh connection (no keep-alive pool) to a vetted address, over https: or http:. */
export const nodeConnector: Connector = (request) =>
  new Promise((resolve, reject) => {
    const client = request.url.protocol === 'https:' ? https : http;
    const req = client.request(
      request.url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        agent: false,
        lookup: vettedLookup(request.addresses),
        signal: request.signal,
      },
      (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
        // The answer is the status: read a little of the body, then close, whatever its size.
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_BYTES_READ) res.destroy();
        });
        res.on('error', () => {});
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });

const defaultResolver: Resolver = (hostname) => lookup(hostname, { all: true, order: 'verbatim' });

/** Rejects with the signal's reason when it aborts first. */
function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const reasonOf = (error: unknown): string => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' && !message.includes(code)
    ? `${code} ${message}`
    : String(message ?? error);
};

/**
 * The `webhook` type: POSTs `payload.body` as JSON to `payload.url`. 2xx succeeds with
 * `{status, durationMs}`; 408, 429, 5xx, network errors and timeouts are retried (Retry-After
 * sets a minimum delay); 3xx and other 4xx end the task. Only https: URLs whose every address is
 * public are called (see docs/webhook.md); the request carries `idempotency-key: <taskId>`.
 */
export function webhookType(options: WebhookOptions): TaskType<WebhookPayload> {
  const { allowLocalHttp } = options;
  const resolve = options.resolve ?? defaultResolver;
  const connect = options.connect ?? nodeConnector;
  const clock = options.clock ?? (() => new Date());

  function validate(payload: Record<string, unknown>): FieldProblem[] {
    const problems: FieldProblem[] = Object.keys(payload)
      .filter((key) => !WEBHOOK_FIELDS.includes(key))
      .map((key) => ({ field: `payload.${key}`, problem: `is not a webhook field (expected ${WEBHOOK_FIELDS.join(', ')})` }));
    const problem = urlProblem(payload.url, allowLocalHttp);
    return problem ? [{ field: 'payload.url', problem }, ...problems] : problems;
  }

  /** Every address of the URL's host, each checked: the connection goes to these and no others. */
  async function vettedAddresses(url: URL, signal: AbortSignal, ctx: TaskContext): Promise<ResolvedAddress[]> {
    const host = bareHost(url);
    const literal = classifyAddress(host);
    let addresses: ResolvedAddress[];
    try {
      addresses = literal ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await raced(resolve(host), signal);
    } catch (error) {
      const reason = signal.aborted ? "no answer before the attempt's deadline" : reasonOf(error);
      throw new WebhookFailed(`could not resolve ${url.hostname}: ${reason}`, { cause: error });
    }
    if (addresses.length === 0) throw new WebhookFailed(`could not resolve ${url.hostname}: no addresses`);
    for (const { address } of addresses) {
      const refusal = addressRefusal(address, url.protocol, allowLocalHttp);
      if (refusal) {
        ctx.log.warn('WEBHOOK_REFUSED', { origin: url.origin, address, reason: refusal });
        throw new PermanentError(`payload.url ${url.hostname} ${refusal}`);
      }
    }
    return addresses;
  }

  /** The attempt's outcome from the receiver's status: a result, or the error to fail it with. */
  function outcome(url: URL, response: WebhookResponse, durationMs: number): JsonValue {
    const { status, headers } = response;
    const answered = `${url.origin} answered ${status}${http.STATUS_CODES[status] ? ` ${http.STATUS_CODES[status]}` : ''}`;
    if (status >= 200 && status < 300) return { status, durationMs };
    if (status >= 300 && status < 400)
      throw new PermanentError(`redirects are not followed: ${status} to ${shownLocation(headers.location, url)}`);
    if (status >= 400 && status < 500 && status !== 408 && status !== 429)
      throw new PermanentError(`${answered}: a 4xx other than 408 and 429 is not retried`);
    if (status < 200 || status > 599) throw new WebhookFailed(`${url.origin} answered with status ${status}, which is not HTTP's`);
    const delay = retryAfterSeconds(headers['retry-after'], clock());
    if (delay !== undefined) throw new RetryLaterError(`${answered}; Retry-After asks for ${delay} s`, delay);
    throw new WebhookFailed(answered);
  }

  return defineTaskType<WebhookPayload>({
    name: 'webhook',
    description: 'POSTs payload.body as JSON to payload.url (https:, public addresses only); 2xx succeeds, 408, 429 and 5xx are retried',
    policy: WEBHOOK_POLICY,
    validate,
    async handle(payload, ctx) {
      // The payload passed validate() at submit, perhaps under another stage's rules: check again.
      const [problem] = validate(payload);
      if (problem) throw new PermanentError(`${problem.field} ${problem.problem}`);
      const url = new URL(payload.url);
      // Rounded up: the runner's own deadline fires first, so an attempt cut off there is AttemptTimedOut.
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(0, Math.ceil(ctx.remainingMs())))]);
      const addresses = await vettedAddresses(url, signal, ctx);
      const request: WebhookRequest = {
        url,
        addresses,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, 'idempotency-key': ctx.taskId },
        body: JSON.stringify(payload.body ?? null),
        signal,
      };
      const started = performance.now();
      let response: WebhookResponse;
      try {
        signal.throwIfAborted();
        response = await raced(connect(request), signal);
      } catch (error) {
        const durationMs = Math.round(performance.now() - started);
        const reason = signal.aborted ? `no answer before the attempt's deadline (${durationMs} ms)` : reasonOf(error);
        ctx.log.warn('WEBHOOK_FAILED', { origin: url.origin, durationMs, reason });
        throw new WebhookFailed(`the request to ${url.origin} failed: ${reason}`, { cause: error });
      }
      const durationMs = Math.round(performance.now() - started);
      ctx.log.info('WEBHOOK_ANSWERED', { origin: url.origin, status: response.status, durationMs });
      return outcome(url, response, durationMs);
    },
  });
}
