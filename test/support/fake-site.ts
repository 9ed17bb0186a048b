import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A canned answer, or a handler for anything else (hang, stream, redirect somewhere computed). */
export type Route =
  | { status?: number; headers?: Record<string, string>; body?: string | Buffer; delayMs?: number }
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface RecordedRequest {
  /** Path and query, as requested. */
  path: string;
  /** Date.now() when the request arrived. */
  at: number;
  headers: IncomingMessage['headers'];
}

export interface FakeSite {
  /** http://127.0.0.1:<port>, no trailing slash. */
  origin: string;
  port: number;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  paths(): string[];
  /** Adds or replaces a route; a path may include a query. */
  route(path: string, route: Route): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (random port) playing a web site for crawler and fetch tests. It
 * records what it was asked for, so tests can assert what was never requested (robots.txt
 * disallowed paths, refused redirect targets) and how requests were spaced. Unknown paths are 404.
 */
export async function startFakeSite(routes: Record<string, Route> = {}): Promise<FakeSite> {
  const table = new Map(Object.entries(routes));
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, at: Date.now(), headers: req.headers });
    const route = table.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (typeof route === 'function') return route(req, res);
    const answer = () => {
      if (res.destroyed) return;
      res.writeHead(route.status ?? 200, { 'content-type': 'text/html; charset=utf-8', ...route.headers }).end(route.body ?? '');
    };
    if (route.delayMs) setTimeout(answer, route.delayMs);
    else answer();
  });
  // Tests close the server while a hanging handler still holds a socket; do not wait for it.
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    paths: () => requests.map((r) => r.path),
    route: (path, route) => void table.set(path, route),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A small HTML page: a title, a paragraph of text, links, and optionally a canonical link or robots meta. */
export function page(title: string, text: string, links: string[] = [], extra: { canonical?: string; robots?: string } = {}): string {
  const head = [
    `<title>${title}</title>`,
    extra.canonical ? `<link rel="canonical" href="${extra.canonical}">` : '',
    extra.robots ? `<meta name="robots" content="${extra.robots}">` : '',
  ].join('');
  const anchors = links.map((href) => `<li><a href="${href}">${href}</a></li>`).join('');
  return `<!doctype html><html><head>${head}</head><body><main><h1>${title}</h1><p>${text}</p><ul>${anchors}</ul></main></body></html>`;
}
