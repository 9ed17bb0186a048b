import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { startHarness, testConfig } from './support/harness.js';
import { waitUntil } from './support/wait.js';
import { startDbProxy } from './support/db-proxy.js';
import { SUMMARIZE_JOB } from '../src/engine/memory.js';

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

describe.skipIf(!inject('postgresUrl'))('starting while the database is away (PostgreSQL)', () => {
  const config = (url: string, extra: Record<string, string> = {}) =>
    testConfig({ DATABASE_URL: url, JOBS_SCHEMA: `pgboss_${randomBytes(4).toString('hex')}`, ...extra });
  const quiet = { role: 'all' as const, listen: false, log: createLogger('silent') };

  it('waits for a database that is not up yet and starts once it is', async () => {
    const proxy = await startDbProxy(new URL(inject('postgresUrl')!));
    await proxy.cut();
    let started = false;
    const starting = startServer(config(proxy.url), quiet).then((s) => ((started = true), s));
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      expect(started).toBe(false);
      await proxy.restore();
      const server = await starting;
      try {
        expect((await server.app!.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      } finally {
        await server.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it('gives up at once with DATABASE_STARTUP_WAIT_MS=0', async () => {
    const proxy = await startDbProxy(new URL(inject('postgresUrl')!));
    await proxy.cut();
    try {
      await expect(startServer(config(proxy.url, { DATABASE_STARTUP_WAIT_MS: '0' }), quiet)).rejects.toThrow(/ECONNREFUSED|connect/);
    } finally {
      await proxy.close();
    }
  });

  it('starts again from the top when the database goes away while the job queue is starting', async () => {
    const schema = `pgboss_${randomBytes(4).toString('hex')}`;
    // pg-boss names its schema in its first statements: the line is cut in the middle of its start.
    const proxy = await startDbProxy(new URL(inject('postgresUrl')!), { cutWhen: schema, restoreAfterMs: 500 });
    try {
      const server = await startServer(testConfig({ DATABASE_URL: proxy.url, JOBS_SCHEMA: schema }), quiet);
      try {
        await proxy.cutSeen;
        expect((await server.app!.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
        // The queue made on the second try works: a job sent now is stored and can be fetched back.
        const id = await server.queue.send(SUMMARIZE_JOB, { conversationId: 'none' });
        expect(id).toBeTruthy();
      } finally {
        await server.close();
      }
    } finally {
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
