import { createServer, Socket } from 'node:net';

export interface DbProxy {
  /** The database URL through the proxy. */
  url: string;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once `cutWhen` was seen and the line cut (never, without `cutWhen`). */
  cutSeen: Promise<void>;
}

/**
 * A TCP proxy in front of PostgreSQL that can cut the line (every connection dropped, new ones
 * refused) and restore it on the same port: a database outage as the server sees it. With
 * `cutWhen`, it cuts the line by itself the first time a client sends those bytes (a statement it
 * recognises), and restores it `restoreAfterMs` later: an outage at a chosen step of a conversation.
 */
export async function startDbProxy(target: URL, opts: { cutWhen?: string; restoreAfterMs?: number } = {}): Promise<DbProxy> {
  const sockets = new Set<Socket>();
  let armed = opts.cutWhen !== undefined;
  let closed = false;
  let restoring: NodeJS.Timeout | undefined;
  let seen!: () => void;
  const cutSeen = new Promise<void>((r) => (seen = r));
  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    if (armed) {
      client.on('data', (chunk: Buffer) => {
        if (!armed || !chunk.includes(opts.cutWhen!)) return;
        armed = false;
        void cut().then(() => {
          seen();
          restoring = setTimeout(() => void restore(), opts.restoreAfterMs ?? 500);
        });
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  const cut = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    });
  const restore = () => new Promise<void>((r) => (closed ? r() : server.listen(port, '127.0.0.1', r)));
  return {
    url: url.toString(),
    cut,
    restore,
    cutSeen,
    close: () =>
      new Promise<void>((r) => {
        armed = false;
        closed = true;
        clearTimeout(restoring);
        for (const s of sockets) s.destroy();
        if (server.listening) server.close(() => r());
        else r();
      }),
  };
}
