/**
 * A webhook receiver on loopback (a real HTTP server) standing in for a Slack incoming webhook or
 * a Teams workflow webhook: it records every request and answers from a script — a status with
 * headers and body, or `hang` (read the request, never answer) — then with its default answer.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
}

export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface WebhookReceiver {
  /** The base URL (http://127.0.0.1:<port>) joined with `path`. */
  url(path?: string): string;
  readonly requests: ReceivedRequest[];
  /** Answer the next requests with these, in order; then the default answer again. */
  script(...answers: ReceiverAnswer[]): void;
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  /** Forget requests and the script. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(
  defaultAnswer: ReceiverAnswer = { status: 200, body: 'ok' },
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let queue: ReceiverAnswer[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json });
      const answer = queue.shift() ?? defaultAnswer;
      for (const w of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: (path = '/') => `${base}${path.startsWith('/') ? path : `/${path}`}`,
    requests,
    script: (...answers) => void queue.push(...answers),
    received: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
