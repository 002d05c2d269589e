import { expect } from 'chai';
import sinon from 'sinon';
import { isPermanent, retryAfterOf } from '../../../../lib/types/contract';
import {
  type Connector,
  type ResolvedAddress,
  retryAfterSeconds,
  WEBHOOK_POLICY,
  type WebhookOptions,
  type WebhookRequest,
  type WebhookResponse,
  vettedLookup,
  webhookType,
} from '../../../../lib/types/webhook';
import { rejectionOf } from '../../../support/rejection';
import { taskContext } from '../../../support/taskContext';

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

/** A webhook type whose DNS answers `addresses` and whose connector answers `response`; both are stubs to inspect. */
function setup(
  addresses: ResolvedAddress[] = [v4('93.184.215.14')],
  response: WebhookResponse = { status: 200, headers: {} },
  options: Partial<WebhookOptions> = {},
) {
  const resolve = sinon.stub<[string], Promise<ResolvedAddress[]>>().resolves(addresses);
  const connect = sinon.stub<[WebhookRequest], Promise<WebhookResponse>>().resolves(response);
  const type = webhookType({ allowLocalHttp: false, resolve, connect, ...options });
  return { type, resolve, connect };
}

const problems = (url: unknown, allowLocalHttp = false) =>
  webhookType({ allowLocalHttp }).validate!({ url }).map((p) => `${p.field} ${p.problem}`);

describe('webhook type', () => {
  it('is named webhook and carries its policy: 6 attempts, 15 s base, 300 s cap, full jitter, 10 s per attempt', () => {
    const type = webhookType({ allowLocalHttp: false });

    expect(type.name).to.equal('webhook');
    expect(type.policy).to.deep.equal({ maxAttempts: 6, baseSeconds: 15, maxDelaySeconds: 300, jitter: 'full', timeoutSeconds: 10 });
    expect(WEBHOOK_POLICY.timeoutSeconds).to.be.at.most(12);
  });

  describe('validate (at submit)', () => {
    it('names each field a webhook payload does not have, so a typo is not sent as null', () => {
      const type = webhookType({ allowLocalHttp: false });

      expect(type.validate!({ url: 'https://example.com/hook', bdy: {} })).to.deep.equal([
        { field: 'payload.bdy', problem: 'is not a webhook field (expected url, body)' },
      ]);
    });

    it('accepts an https URL to a host name or a public address, with any JSON body or none', () => {
      const type = webhookType({ allowLocalHttp: false });

      expect(type.validate!({ url: 'https://example.com/hook?token=abc' })).to.deep.equal([]);
      expect(type.validate!({ url: 'https://hooks.example.com:8443/a/b', body: { nested: [1, 'two', null] } })).to.deep.equal([]);
      expect(type.validate!({ url: 'https://93.184.215.14/', body: 'text' })).to.deep.equal([]);
      expect(type.validate!({ url: 'https://[2606:4700:4700::1111]/', body: null })).to.deep.equal([]);
    });

    it('requires payload.url, as a string', () => {
      expect(problems(undefined)).to.deep.equal(['payload.url is required: the https: URL to POST payload.body to']);
      expect(problems(42)).to.deep.equal(['payload.url must be a string (an https: URL), got number']);
      expect(problems({ href: 'https://example.com' })).to.deep.equal(['payload.url must be a string (an https: URL), got object']);
    });

    it('requires an absolute URL', () => {
      for (const url of ['', '/hook', 'example.com/hook', 'https://', 'https://exa mple.com/']) {
        expect(problems(url), url).to.deep.equal(['payload.url must be an absolute URL, such as https://example.com/hook']);
      }
    });

    it('requires https: on AWS stages, refusing http: and every other scheme', () => {
      expect(problems('http://example.com/hook')).to.deep.equal(['payload.url must use https: (plain http: is refused on this stage)']);
      expect(problems('http://127.0.0.1:8080/hook')).to.deep.equal(['payload.url must use https: (plain http: is refused on this stage)']);
      expect(problems('ftp://example.com/x')).to.deep.equal(['payload.url must use https:, got ftp:']);
      expect(problems('file:///etc/passwd')).to.deep.equal(['payload.url must use https:, got file:']);
    });

    it('refuses credentials in the URL, saying why', () => {
      const expected = [
        'payload.url must not contain credentials (user:password@): the URL is stored with the task, returned by GET and logged if it fails',
      ];

      expect(problems('https://user:secret@example.com/hook')).to.deep.equal(expected);
      expect(problems('https://user@example.com/hook')).to.deep.equal(expected);
      expect(problems('https://:secret@example.com/hook')).to.deep.equal(expected);
    });

    it('refuses a host that is an IP literal in a forbidden range, however it is encoded', () => {
      const cases: [string, string][] = [
        ['https://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address (169.254.0.0/16)'],
        ['https://10.1.2.3/', '10.1.2.3 is a private address (10.0.0.0/8)'],
        ['https://127.0.0.1/', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
        ['https://0x7f.1/', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
        ['https://2130706433/', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
        ['https://0/', '0.0.0.0 is an unspecified ("this host") address (0.0.0.0/8)'],
        ['https://[::1]/', '::1 is a loopback address (::1/128)'],
        ['https://[fd00::1]/', 'fd00::1 is a unique-local address (fc00::/7)'],
        ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped), a loopback address (127.0.0.0/8)'],
        ['https://100.64.0.1/', '100.64.0.1 is a shared (carrier-grade NAT) address (100.64.0.0/10)'],
      ];
      for (const [url, why] of cases) {
        expect(problems(url), url).to.deep.equal([`payload.url host ${why}: webhooks call public addresses only`]);
      }
    });

    it('refuses localhost names on AWS stages: they always mean this machine', () => {
      expect(problems('https://localhost/hook')).to.deep.equal([
        'payload.url host localhost always means this machine (loopback): webhooks call public addresses only',
      ]);
      expect(problems('https://api.localhost./hook')).to.deep.equal([
        'payload.url host api.localhost. always means this machine (loopback): webhooks call public addresses only',
      ]);
    });

    describe('on the local stage (allowLocalHttp)', () => {
      it('accepts http: and https: to a loopback address or localhost', () => {
        for (const url of [
          'http://127.0.0.1:3000/hook',
          'http://127.1.2.3/',
          'http://[::1]:8080/',
          'http://localhost:3000/',
          'https://127.0.0.1/',
        ]) {
          expect(problems(url, true), url).to.deep.equal([]);
        }
      });

      it('accepts https: to public hosts as on any stage', () => {
        expect(problems('https://example.com/hook', true)).to.deep.equal([]);
      });

      it('refuses http: to anything but loopback', () => {
        const expected = ['payload.url may use http: only to a loopback address (127.0.0.1, [::1]) or localhost on this stage; use https:'];

        expect(problems('http://example.com/hook', true)).to.deep.equal(expected);
        expect(problems('http://93.184.215.14/', true)).to.deep.equal(expected);
        expect(problems('http://10.0.0.1/', true)).to.deep.equal(expected);
      });

      it('still refuses forbidden ranges other than loopback', () => {
        expect(problems('https://169.254.169.254/', true)).to.deep.equal([
          'payload.url host 169.254.169.254 is a link-local address (169.254.0.0/16): webhooks call public addresses only',
        ]);
        expect(problems('https://[::ffff:10.0.0.1]/', true)).to.deep.equal([
          'payload.url host ::ffff:a00:1 embeds 10.0.0.1 (IPv4-mapped), a private address (10.0.0.0/8): webhooks call public addresses only',
        ]);
      });
    });
  });

  describe('handle: the addresses a host name resolves to', () => {
    const refusedCases: [string, ResolvedAddress[], string][] = [
      ['the metadata service', [v4('169.254.169.254')], '169.254.169.254 is a link-local address (169.254.0.0/16)'],
      ['a private address', [v4('10.20.30.40')], '10.20.30.40 is a private address (10.0.0.0/8)'],
      ['a unique-local address', [v6('fd00::1')], 'fd00::1 is a unique-local address (fc00::/7)'],
      [
        'an IPv4-mapped loopback address',
        [v6('::ffff:127.0.0.1')],
        '::ffff:127.0.0.1 embeds 127.0.0.1 (IPv4-mapped), a loopback address (127.0.0.0/8)',
      ],
      ['loopback', [v4('127.0.0.1')], '127.0.0.1 is a loopback address (127.0.0.0/8)'],
      ['a public and a private address', [v4('93.184.215.14'), v4('192.168.1.10')], '192.168.1.10 is a private address (192.168.0.0/16)'],
      ['a public IPv4 and a link-local IPv6 address', [v4('93.184.215.14'), v6('fe80::1')], 'fe80::1 is a link-local address (fe80::/10)'],
    ];
    for (const [what, addresses, why] of refusedCases) {
      it(`refuses, permanently and without connecting, a host that resolves to ${what}`, async () => {
        const { type, resolve, connect } = setup(addresses);

        const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/in' }, taskContext()));

        expect(isPermanent(error)).to.equal(true);
        expect(error.message).to.equal(`payload.url hooks.example.com resolves to ${why}: webhooks call public addresses only`);
        expect(resolve.calledOnceWithExactly('hooks.example.com')).to.equal(true);
        expect(connect.called).to.equal(false);
      });
    }

    it('refuses an answer that is not an IP address at all', async () => {
      const { type, connect } = setup([v4('evil.example.net')]);

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/in' }, taskContext()));

      expect(isPermanent(error)).to.equal(true);
      expect(error.message).to.equal('payload.url hooks.example.com resolved to "evil.example.net", which is not an IP address');
      expect(connect.called).to.equal(false);
    });

    it('logs the refusal with the origin only (no path, no query)', async () => {
      const { type } = setup([v4('10.0.0.1')]);
      const ctx = taskContext();

      await rejectionOf(type.handle({ url: 'https://hooks.example.com/secret-path?token=abc' }, ctx));

      expect(ctx.lines.map((line) => [line.level, line.message, line.extra?.origin])).to.deep.equal([
        ['warn', 'WEBHOOK_REFUSED', 'https://hooks.example.com'],
      ]);
      expect(JSON.stringify(ctx.lines)).to.not.match(/secret-path|token/);
    });

    it('connects to exactly the vetted addresses when every one is public', async () => {
      const addresses = [v4('93.184.215.14'), v6('2606:2800:21f:cb07:6820:80da:af6b:8b2c')];
      const { type, connect } = setup(addresses);

      await type.handle({ url: 'https://hooks.example.com/in' }, taskContext());

      expect(connect.calledOnce).to.equal(true);
      expect(connect.firstCall.args[0].addresses).to.deep.equal(addresses);
      expect(connect.firstCall.args[0].url.hostname).to.equal('hooks.example.com');
    });

    it('does not resolve an IP literal host, and connects to it', async () => {
      const { type, resolve, connect } = setup();

      await type.handle({ url: 'https://[2606:4700:4700::1111]:8443/in' }, taskContext());

      expect(resolve.called).to.equal(false);
      expect(connect.firstCall.args[0].addresses).to.deep.equal([v6('2606:4700:4700::1111')]);
    });

    it('on the local stage, lets localhost resolve to loopback addresses (IPv4 and IPv6)', async () => {
      const { type, connect } = setup([v4('127.0.0.1'), v6('::1')], undefined, { allowLocalHttp: true });

      const result = await type.handle({ url: 'http://localhost:3000/in' }, taskContext());

      expect(result).to.deep.include({ status: 200 });
      expect(connect.firstCall.args[0].addresses).to.deep.equal([v4('127.0.0.1'), v6('::1')]);
    });

    it('on the local stage, refuses http: to a name that resolves to a public address (plain text leaves the machine)', async () => {
      const { type, connect } = setup([v4('127.0.0.1'), v4('93.184.215.14')], undefined, { allowLocalHttp: true });

      const error = await rejectionOf(type.handle({ url: 'http://localhost:3000/in' }, taskContext()));

      expect(isPermanent(error)).to.equal(true);
      expect(error.message).to.equal('payload.url localhost resolves to 93.184.215.14: http: may go to loopback addresses only');
      expect(connect.called).to.equal(false);
    });

    it('on the local stage, still refuses a name that resolves to a private address', async () => {
      const { type } = setup([v4('10.0.0.5')], undefined, { allowLocalHttp: true });

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/' }, taskContext()));

      expect(isPermanent(error)).to.equal(true);
      expect(error.message).to.contain('10.0.0.5 is a private address (10.0.0.0/8)');
    });

    it('retries when the name does not resolve (DNS may recover), without connecting', async () => {
      const { type, resolve, connect } = setup();
      resolve.rejects(Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), { code: 'ENOTFOUND' }));

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/' }, taskContext()));

      expect(isPermanent(error)).to.equal(false);
      expect(error.message).to.equal('could not resolve hooks.example.com: getaddrinfo ENOTFOUND hooks.example.com');
      expect(connect.called).to.equal(false);
    });

    it('retries when the name resolves to no address', async () => {
      const { type, connect } = setup([]);

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/' }, taskContext()));

      expect(isPermanent(error)).to.equal(false);
      expect(error.message).to.equal('could not resolve hooks.example.com: no addresses');
      expect(connect.called).to.equal(false);
    });

    it('gives up on a resolver that outlasts the attempt', async () => {
      const { type, resolve, connect } = setup();
      resolve.returns(new Promise(() => {}));

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/' }, taskContext({ remainingMs: () => 20 })));

      expect(isPermanent(error)).to.equal(false);
      expect(error.message).to.equal("could not resolve hooks.example.com: no answer before the attempt's deadline");
      expect(connect.called).to.equal(false);
    });
  });

  describe('handle: the request', () => {
    it('POSTs payload.body as JSON with the content type, user agent and the taskId as idempotency key', async () => {
      const { type, connect } = setup();

      await type.handle({ url: 'https://hooks.example.com/in', body: { orderId: 7, lines: ['a'] } }, taskContext({ taskId: 'order-7' }));

      const request = connect.firstCall.args[0];
      expect(request.url.href).to.equal('https://hooks.example.com/in');
      expect(request.body).to.equal('{"orderId":7,"lines":["a"]}');
      expect(request.headers).to.deep.equal({
        'content-type': 'application/json',
        'user-agent': 'task-pipeline-webhook',
        'idempotency-key': 'order-7',
      });
    });

    it('sends JSON null when payload.body is left out', async () => {
      const { type, connect } = setup();

      await type.handle({ url: 'https://hooks.example.com/in' }, taskContext());

      expect(connect.firstCall.args[0].body).to.equal('null');
    });

    it("passes a signal that aborts with the attempt's signal", async () => {
      const { type, connect } = setup();
      const attempt = new AbortController();

      await type.handle({ url: 'https://hooks.example.com/in' }, taskContext({ signal: attempt.signal }));
      const { signal } = connect.firstCall.args[0];
      const before = signal.aborted;
      attempt.abort();

      expect([before, signal.aborted]).to.deep.equal([false, true]);
    });

    it('refuses, at handle too, a stored payload that today breaks the rules (no resolving, no connecting)', async () => {
      const { type, resolve, connect } = setup();

      const error = await rejectionOf(type.handle({ url: 'http://127.0.0.1:8080/in' }, taskContext()));

      expect(isPermanent(error)).to.equal(true);
      expect(error.message).to.equal('payload.url must use https: (plain http: is refused on this stage)');
      expect(resolve.called || connect.called).to.equal(false);
    });

    it('never logs the body, the path or the query string', async () => {
      const { type } = setup();
      const ctx = taskContext();

      await type.handle({ url: 'https://hooks.example.com/T0/B0/secret?token=abc', body: { card: '4111-1111' } }, ctx);

      expect(ctx.lines.map((line) => line.message)).to.deep.equal(['WEBHOOK_ANSWERED']);
      expect(ctx.lines[0].extra).to.deep.include({ origin: 'https://hooks.example.com', status: 200 });
      expect(JSON.stringify(ctx.lines)).to.not.match(/4111|secret|token|T0/);
    });
  });

  describe('handle: the answer', () => {
    const answer = async (status: number, headers: WebhookResponse['headers'] = {}, clock?: () => Date) => {
      const { type } = setup(undefined, { status, headers }, clock ? { clock } : {});
      return type.handle({ url: 'https://hooks.example.com/in?token=abc' }, taskContext());
    };

    it('succeeds on any 2xx with the status and the time to the answer', async () => {
      for (const status of [200, 201, 202, 204, 299]) {
        const result = (await answer(status)) as { status: number; durationMs: number };

        expect(result.status).to.equal(status);
        expect(result.durationMs).to.be.a('number').at.least(0);
        expect(Object.keys(result)).to.deep.equal(['status', 'durationMs']);
      }
    });

    it('fails permanently on a redirect, naming where it pointed, without query or fragment', async () => {
      const cases: [number, string | undefined, string][] = [
        [301, 'https://elsewhere.example.com/new', 'redirects are not followed: 301 to https://elsewhere.example.com/new'],
        [302, '/other', 'redirects are not followed: 302 to https://hooks.example.com/other'],
        [307, '/login?next=%2Fin&token=abc', 'redirects are not followed: 307 to https://hooks.example.com/login?…'],
        [308, 'https://[bad', 'redirects are not followed: 308 to an invalid Location'],
        [303, undefined, 'redirects are not followed: 303 to a missing Location'],
      ];
      for (const [status, location, message] of cases) {
        const error = await rejectionOf(answer(status, { location }));

        expect(isPermanent(error), String(status)).to.equal(true);
        expect(error.message).to.equal(message);
      }
    });

    it('fails permanently on a 4xx other than 408 and 429', async () => {
      for (const status of [400, 401, 403, 404, 410, 413, 422]) {
        const error = await rejectionOf(answer(status, { 'retry-after': '60' }));

        expect(isPermanent(error), String(status)).to.equal(true);
        expect(retryAfterOf(error)).to.equal(0);
      }
      expect((await rejectionOf(answer(400))).message).to.equal(
        'https://hooks.example.com answered 400 Bad Request: a 4xx other than 408 and 429 is not retried',
      );
    });

    it('retries 408, 429 and every 5xx', async () => {
      for (const status of [408, 429, 500, 502, 503, 504, 599]) {
        const error = await rejectionOf(answer(status));

        expect(isPermanent(error), String(status)).to.equal(false);
        expect(retryAfterOf(error)).to.equal(0);
      }
      expect((await rejectionOf(answer(503))).message).to.equal('https://hooks.example.com answered 503 Service Unavailable');
    });

    it('retries no sooner than a Retry-After in seconds asks', async () => {
      const error = await rejectionOf(answer(429, { 'retry-after': '120' }));

      expect(isPermanent(error)).to.equal(false);
      expect(retryAfterOf(error)).to.equal(120);
      expect(error.message).to.equal('https://hooks.example.com answered 429 Too Many Requests; Retry-After asks for 120 s');
    });

    it('reads a Retry-After HTTP-date against the clock', async () => {
      const clock = () => new Date('2026-03-01T12:00:00Z');

      const error = await rejectionOf(answer(503, { 'retry-after': 'Sun, 01 Mar 2026 12:01:30 GMT' }, clock));

      expect(retryAfterOf(error)).to.equal(90);
    });

    it('caps a Retry-After at 900 s', async () => {
      expect(retryAfterOf(await rejectionOf(answer(503, { 'retry-after': '86400' })))).to.equal(900);
    });

    it('retries with no minimum delay on a retryable status whose Retry-After is unreadable or asks for none', async () => {
      for (const value of ['soon', '0', '-5', '1.5', '']) {
        const error = await rejectionOf(answer(503, { 'retry-after': value }));

        expect(isPermanent(error), value).to.equal(false);
        expect(retryAfterOf(error), value).to.equal(0);
      }
    });

    it('retries a status outside HTTP 2xx-5xx', async () => {
      const error = await rejectionOf(answer(600));

      expect(isPermanent(error)).to.equal(false);
      expect(error.message).to.equal("https://hooks.example.com answered with status 600, which is not HTTP's");
    });
  });

  describe('handle: network errors and time', () => {
    it('retries a network error, naming its code', async () => {
      const { type, connect } = setup();
      connect.rejects(Object.assign(new Error('connect ECONNREFUSED 93.184.215.14:443'), { code: 'ECONNREFUSED' }));
      const ctx = taskContext();

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/in' }, ctx));

      expect(isPermanent(error)).to.equal(false);
      expect(error.message).to.equal('the request to https://hooks.example.com failed: connect ECONNREFUSED 93.184.215.14:443');
      expect(ctx.lines.map((line) => line.message)).to.deep.equal(['WEBHOOK_FAILED']);
    });

    it('gives up at remainingMs() even if the connector ignores the signal, and retries', async () => {
      const connect: Connector = () => new Promise(() => {});
      const type = webhookType({ allowLocalHttp: false, resolve: async () => [v4('93.184.215.14')], connect });
      const started = Date.now();

      const error = await rejectionOf(type.handle({ url: 'https://hooks.example.com/in' }, taskContext({ remainingMs: () => 50 })));

      expect(Date.now() - started).to.be.below(1000);
      expect(isPermanent(error)).to.equal(false);
      expect(error.message).to.match(
        /^the request to https:\/\/hooks\.example\.com failed: no answer before the attempt's deadline \(\d+ ms\)$/,
      );
    });

    it('does not connect once the attempt is already aborted', async () => {
      const { type, connect } = setup();

      const error = await rejectionOf(type.handle({ url: 'https://93.184.215.14/in' }, taskContext({ signal: AbortSignal.abort() })));

      expect(isPermanent(error)).to.equal(false);
      expect(connect.called).to.equal(false);
    });
  });
});

describe('retryAfterSeconds', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('reads delay-seconds and the three HTTP-date forms, rounding a date up to whole seconds', () => {
    expect(retryAfterSeconds('30', now)).to.equal(30);
    expect(retryAfterSeconds(' 30 ', now)).to.equal(30);
    expect(retryAfterSeconds('Sun, 01 Mar 2026 12:00:10 GMT', now)).to.equal(10);
    expect(retryAfterSeconds('Sunday, 01-Mar-26 12:00:10 GMT', now)).to.equal(10);
    expect(retryAfterSeconds('Sun Mar  1 12:00:10 2026', new Date('2026-03-01T12:00:00'))).to.equal(10);
    expect(retryAfterSeconds(new Date(now.getTime() + 1500).toUTCString(), new Date(now.getTime() + 600))).to.equal(1);
  });

  it('is undefined when absent, unreadable, or in the past', () => {
    const values = [undefined, '', 'later', 'Sun, 01 Mar 2026 11:59:00 GMT', '0'];

    expect(values.map((value) => retryAfterSeconds(value, now))).to.deep.equal([undefined, undefined, undefined, undefined, undefined]);
  });

  it('caps at 900 and reads the first of repeated headers', () => {
    expect(retryAfterSeconds('901', now)).to.equal(900);
    expect(retryAfterSeconds(['45', '90'], now)).to.equal(45);
  });
});

describe('vettedLookup (what the default connector gives http.request instead of DNS)', () => {
  const addresses = [v4('93.184.215.14'), v6('2606:2800:21f:cb07:6820:80da:af6b:8b2c'), v4('93.184.215.15')];

  /** What the lookup answers for these options: [error code, address(es), family]. */
  const ask = (options: Parameters<ReturnType<typeof vettedLookup>>[1]) =>
    new Promise<unknown[]>((resolve) =>
      vettedLookup(addresses)('hooks.example.com', options, (error, address, family) => resolve([error?.code, address, family])),
    );

  it('answers every vetted address when asked for all (happy eyeballs), or those of the family asked for', async () => {
    expect(await ask({ all: true })).to.deep.equal([undefined, addresses, undefined]);
    expect(await ask({ all: true, family: 4 })).to.deep.equal([undefined, [addresses[0], addresses[2]], undefined]);
    expect(await ask({ all: true, family: 'IPv6' })).to.deep.equal([undefined, [addresses[1]], undefined]);
  });

  it('answers the first vetted address of the family when asked for one', async () => {
    expect(await ask({})).to.deep.equal([undefined, '93.184.215.14', 4]);
    expect(await ask({ family: 6 })).to.deep.equal([undefined, '2606:2800:21f:cb07:6820:80da:af6b:8b2c', 6]);
  });

  it('fails with ENOTFOUND rather than resolve the name when no vetted address has the family', async () => {
    const only4 = await new Promise<unknown[]>((resolve) =>
      vettedLookup([v4('93.184.215.14')])('hooks.example.com', { family: 'IPv6', all: true }, (error, address) =>
        resolve([error?.code, error?.message, address]),
      ),
    );

    expect(only4).to.deep.equal(['ENOTFOUND', 'no vetted IPv6 address for hooks.example.com', '']);
  });
});
