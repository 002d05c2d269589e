import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { isPermanent, RetryLaterError, retryAfterOf } from '../../lib/types/contract';
import { nodeConnector, webhookType } from '../../lib/types/webhook';
import { rejectionOf } from '../support/rejection';
import { taskContext } from '../support/taskContext';
import { startReceiver, status } from '../support/webhookReceiver';

// The webhook type's default resolver and connector against a real HTTP server on 127.0.0.1
// that answers in scripted ways. Nothing here connects outside 127.0.0.0/8.

describe('webhook type against a local HTTP receiver', function () {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const webhook = webhookType({ allowLocalHttp: true });

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('fails twice on 503, retryably, then succeeds on 200 with the status and duration', async () => {
    receiver.answer(status(503), status(503), (_req, res) => setTimeout(() => res.writeHead(200).end(), 50));
    const payload = { url: receiver.url('/hook'), body: { orderId: 42 } };

    const first = await rejectionOf(webhook.handle(payload, taskContext({ attempt: 1 })));
    const second = await rejectionOf(webhook.handle(payload, taskContext({ attempt: 2 })));
    const third = (await webhook.handle(payload, taskContext({ attempt: 3 }))) as { status: number; durationMs: number };

    expect([first, second].map((error) => [isPermanent(error), retryAfterOf(error), error.message])).to.deep.equal([
      [false, 0, `http://127.0.0.1:${receiver.port} answered 503 Service Unavailable`],
      [false, 0, `http://127.0.0.1:${receiver.port} answered 503 Service Unavailable`],
    ]);
    expect(third.status).to.equal(200);
    expect(third.durationMs).to.be.at.least(45).and.below(2000);
    expect(receiver.received).to.have.length(3);
  });

  it('POSTs the body as JSON with content type, user agent and the taskId as idempotency key, the same on every attempt', async () => {
    receiver.answer(status(503), status(204));
    const payload = { url: receiver.url('/hook?source=test'), body: { orderId: 42, lines: ['a', 'b'] } };

    await rejectionOf(webhook.handle(payload, taskContext({ taskId: 'order-42', attempt: 1 })));
    await webhook.handle(payload, taskContext({ taskId: 'order-42', attempt: 2 }));

    for (const request of receiver.received) {
      expect(request.method).to.equal('POST');
      expect(request.path).to.equal('/hook?source=test');
      expect(JSON.parse(request.body)).to.deep.equal({ orderId: 42, lines: ['a', 'b'] });
      expect(request.headers).to.deep.include({
        'content-type': 'application/json',
        'user-agent': 'task-pipeline-webhook',
        'idempotency-key': 'order-42',
        host: `127.0.0.1:${receiver.port}`,
      });
    }
    expect(receiver.received).to.have.length(2);
  });

  it('fails permanently on 400', async () => {
    receiver.answer(status(400));

    const error = await rejectionOf(webhook.handle({ url: receiver.url('/hook') }, taskContext()));

    expect(isPermanent(error)).to.equal(true);
    expect(error.message).to.equal(
      `http://127.0.0.1:${receiver.port} answered 400 Bad Request: a 4xx other than 408 and 429 is not retried`,
    );
  });

  it("aborts a receiver that hangs when the attempt's signal fires, closing the connection, and retries", async () => {
    receiver.answer(() => {});
    const started = Date.now();

    const error = await rejectionOf(webhook.handle({ url: receiver.url('/hang') }, taskContext({ signal: AbortSignal.timeout(200) })));

    expect(Date.now() - started).to.be.within(150, 2000);
    expect(isPermanent(error)).to.equal(false);
    expect(error.message).to.match(/failed: no answer before the attempt's deadline/);
    await receiver.received[0].closed;
  });

  it('gives up at remainingMs() even while the signal has not fired, closing the connection', async () => {
    receiver.answer(() => {});
    const started = Date.now();

    const error = await rejectionOf(webhook.handle({ url: receiver.url('/hang') }, taskContext({ remainingMs: () => 200 })));

    expect(Date.now() - started).to.be.within(150, 2000);
    expect(isPermanent(error)).to.equal(false);
    await receiver.received[0].closed;
  });

  it('does not follow a 302 to another path of the same server: permanent failure, and that path is never requested', async () => {
    receiver.answer(status(302, { location: '/other' }), status(200));

    const error = await rejectionOf(webhook.handle({ url: receiver.url('/hook') }, taskContext()));
    await sleep(100);

    expect(isPermanent(error)).to.equal(true);
    expect(error.message).to.equal(`redirects are not followed: 302 to http://127.0.0.1:${receiver.port}/other`);
    expect(receiver.received.map((request) => request.path)).to.deep.equal(['/hook']);
  });

  it('asks for a retry no sooner than Retry-After: 120', async () => {
    receiver.answer(status(503, { 'retry-after': '120' }));

    const error = await rejectionOf(webhook.handle({ url: receiver.url('/hook') }, taskContext()));

    expect(error).to.be.instanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAfterSeconds).to.equal(120);
    expect(isPermanent(error)).to.equal(false);
  });

  it('caps a Retry-After larger than 900 s at 900', async () => {
    receiver.answer(status(429, { 'retry-after': '3600' }));

    const error = await rejectionOf(webhook.handle({ url: receiver.url('/hook') }, taskContext()));

    expect((error as RetryLaterError).retryAfterSeconds).to.equal(900);
  });

  it('retries 429 and 408 without Retry-After', async () => {
    receiver.answer(status(429), status(408));

    const errors = [
      await rejectionOf(webhook.handle({ url: receiver.url('/a') }, taskContext())),
      await rejectionOf(webhook.handle({ url: receiver.url('/b') }, taskContext())),
    ];

    expect(errors.map((error) => [isPermanent(error), error.message])).to.deep.equal([
      [false, `http://127.0.0.1:${receiver.port} answered 429 Too Many Requests`],
      [false, `http://127.0.0.1:${receiver.port} answered 408 Request Timeout`],
    ]);
  });

  it('retries when nothing listens (connection refused)', async () => {
    const port = receiver.port;
    await receiver.close();

    const error = await rejectionOf(webhook.handle({ url: `http://127.0.0.1:${port}/hook` }, taskContext()));

    expect(isPermanent(error)).to.equal(false);
    expect(error.message).to.contain('ECONNREFUSED');
    receiver = await startReceiver();
  });

  it('returns on the status of an endless body, reading only a little of it, and closes the connection', async () => {
    let written = 0;
    receiver.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(1024);
      const timer = setInterval(() => {
        written += chunk.length;
        if (!res.write(chunk)) res.once('drain', () => {});
      }, 5);
      res.on('close', () => clearInterval(timer));
    });

    const result = await webhook.handle({ url: receiver.url('/stream') }, taskContext());
    await receiver.received[0].closed;

    expect(result).to.deep.include({ status: 200 });
    expect(written).to.be.below(64 * 1024);
  });

  it('connects to the vetted address without resolving the host name again, keeping the name in Host', async () => {
    receiver.answer(status(200));
    // webhook.test can never resolve (RFC 6761): the request arrives only if the vetted address is used.
    const url = new URL(`http://webhook.test:${receiver.port}/hook`);

    const response = await nodeConnector({
      url,
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      signal: AbortSignal.timeout(2000),
    });

    expect(response.status).to.equal(200);
    expect(receiver.received.map((request) => [request.headers.host, request.body])).to.deep.equal([
      [`webhook.test:${receiver.port}`, '{"a":1}'],
    ]);
  });

  it('speaks TLS to the vetted address for an https: URL, naming the host in SNI', async () => {
    // A raw TCP listener reads the ClientHello (SNI travels in clear) and hangs up.
    let hello: Buffer = Buffer.alloc(0);
    const tcp = net.createServer((socket) =>
      socket.once('data', (data: Buffer) => {
        hello = data;
        socket.destroy();
      }),
    );
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as AddressInfo;

    const error = await rejectionOf(
      nodeConnector({
        url: new URL(`https://webhook.test:${port}/hook`),
        addresses: [{ address: '127.0.0.1', family: 4 }],
        headers: {},
        body: '{}',
        signal: AbortSignal.timeout(2000),
      }),
    );
    await new Promise((resolve) => tcp.close(resolve));

    expect(hello[0]).to.equal(0x16); // a TLS handshake record
    expect(hello.includes(Buffer.from('webhook.test'))).to.equal(true);
    expect((error as NodeJS.ErrnoException).code).to.not.equal('ENOTFOUND');
  });

  it('lets a name on the local stage reach loopback through the injected resolver and the default connector', async () => {
    receiver.answer(status(200));
    const type = webhookType({ allowLocalHttp: true, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });

    const result = await type.handle({ url: `http://localhost:${receiver.port}/hook` }, taskContext());

    expect(result).to.deep.include({ status: 200 });
    expect(receiver.received[0].headers.host).to.equal(`localhost:${receiver.port}`);
  });
});
