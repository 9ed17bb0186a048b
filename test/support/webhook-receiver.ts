import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, whether its signature held or not. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature checked out with the secret the receiver was given (standardwebhooks' verifier). */
  verified: boolean;
  /** Why verification failed. */
  error: string | null;
  /** The verified payload. */
  payload: { id: string; type: string; created_at: string; data: Record<string, any> } | null;
  at: number;
}

export type ReceiverMode = { status: number; body?: string } | { redirect: string } | 'hang';

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  received: ReceivedWebhook[];
  /** The secret add_webhook returned: deliveries are verified with it. */
  setSecret(secret: string): void;
  /** How it answers from now on (200 "ok" by default; 'hang' never answers). */
  respondWith(mode: ReceiverMode): void;
  /** Verified deliveries of an event type. */
  verified(type?: string): ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A real HTTP endpoint on 127.0.0.1 that receives webhooks the way an account's server would: it
 * verifies each delivery with the Standard Webhooks verifier (a bad signature is a 401), records
 * everything it got, and answers as told (an error, a redirect, or nothing at all).
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  let verifier: Webhook | null = null;
  let mode: ReceiverMode = { status: 200, body: 'ok' };
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: ReceivedWebhook = { path: req.url ?? '', headers: req.headers, body, verified: false, error: null, payload: null, at: Date.now() };
      try {
        if (!verifier) throw new Error('no secret set');
        entry.payload = verifier.verify(body, req.headers as Record<string, string>) as ReceivedWebhook['payload'];
        entry.verified = true;
      } catch (err) {
        entry.error = (err as Error).message;
      }
      received.push(entry);
      if (!entry.verified) return void res.writeHead(401).end('bad signature');
      if (mode === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if ('redirect' in mode) return void res.writeHead(302, { location: mode.redirect }).end();
      res.writeHead(mode.status, { 'content-type': 'text/plain' }).end(mode.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setSecret: (secret) => (verifier = new Webhook(secret)),
    respondWith: (m) => (mode = m),
    verified: (type) => received.filter((r) => r.verified && (!type || r.payload?.type === type)),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
