import { createServer, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { startHarness, testConfig } from './support/harness.js';
import { waitUntil } from './support/wait.js';

/**
 * A TCP proxy in front of PostgreSQL that can cut the line (every connection dropped, new ones
 * refused) and restore it on the same port: a database outage as the server sees it.
 */
async function startDbProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    cut: () => new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    }),
    restore: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describe.skipIf(!inject('postgresUrl'))('/readyz through a database outage (PostgreSQL)', () => {
  it('goes red while the database is unreachable and green again when it returns, reconnecting by itself', async () => {
    const proxy = await startDbProxy(new URL(inject('postgresUrl')!));
    const server = await startServer(testConfig({ DATABASE_URL: proxy.url, JOBS_SCHEMA: `pgboss_${randomBytes(4).toString('hex')}` }), { role: 'api', listen: false, log: createLogger('silent') });
    const ready = async () => (await server.app!.inject({ method: 'GET', url: '/readyz' })).statusCode;
    try {
      expect(await ready()).toBe(200);
      await proxy.cut();
      expect(await ready()).toBe(503);
      const down = await server.app!.inject({ method: 'POST', url: '/create_account', payload: { email: `o-${Date.now()}@example.com`, password: 'correct horse battery' } });
      expect(down.statusCode).toBe(503);
      expect(down.json().error).toMatchObject({ type: 'unavailable' });
      await proxy.restore();
      await waitUntil(ready, (s) => s === 200, 'readiness after the database returned', 30_000);
      const up = await server.app!.inject({ method: 'POST', url: '/create_account', payload: { email: `o2-${Date.now()}@example.com`, password: 'correct horse battery' } });
      expect(up.statusCode).toBe(200);
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});

describe('graceful shutdown', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => void (fake = await startFakeOpenAi('llm-secret')));
  afterAll(async () => fake?.close());

  it('stops taking connections but finishes the requests under way', async () => {
    const setupHarness = await startHarness(modelEnv(fake));
    const { pk, botId } = await botWithKey(setupHarness, { name: 'Slow' });
    // The same database, served over a real port by a second server that is then stopped.
    const database = setupHarness.database;
    const server = await startServer(testConfig({ ...modelEnv(fake), PORT: '0', HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: '60000' }), { database, log: createLogger('silent') });
    try {
      fake.next({ reply: 'worth the wait', delayMs: 1_500 });
      const turn = fetch(`${server.url}/conversation_api`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: pk, creator: botId, user_id: 'fan-slow', message: 'take your time' }),
      });
      await waitUntil(async () => fake.requests.length, (n) => n > 0, 'the model to be asked');
      const closed = server.close();
      const res = await turn;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { reply: string }).reply).toBe('worth the wait');
      await closed;
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      await server.close();
      await setupHarness.close();
    }
  });
});

describe('in-flight handlers', () => {
  it('are waited for on close even after their client has gone', async () => {
    const { default: Fastify } = await import('fastify');
    const { registerInFlight } = await import('../src/core/http/in-flight.js');
    const app = Fastify();
    const inFlight = registerInFlight(app);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    app.get('/slow', async () => {
      await gate;
      finished = true;
      return { ok: true };
    });
    await app.ready();
    const res = app.inject({ method: 'GET', url: '/slow' });
    await waitUntil(async () => inFlight.count, (n) => n === 1, 'the handler to start');
    expect(await inFlight.drain(50)).toBe(false);
    const drained = inFlight.drain(60_000);
    release();
    expect(await drained).toBe(true);
    expect(finished).toBe(true);
    expect((await res).statusCode).toBe(200);
    await app.close();
  });
});
