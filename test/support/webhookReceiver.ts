import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A webhook receiver on 127.0.0.1 (ephemeral port) that answers in scripted ways.

/** A request the receiver got, and when its connection closed. */
interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  closed: Promise<void>;
}

export type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A receiver that answers each request with the next scripted answer (500 when the script runs out). */
export async function startReceiver() {
  const received: Received[] = [];
  const script: Answer[] = [];
  const server = http.createServer((req, res) => {
    const closed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, closed });
      (script.shift() ?? ((_, r) => r.writeHead(500).end()))(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** Queues answers, one per request to come. */
    answer: (...answers: Answer[]) => script.push(...answers),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const status =
  (code: number, headers: http.OutgoingHttpHeaders = {}): Answer =>
  (_req, res) =>
    res.writeHead(code, headers).end('{"note":"scripted"}');
