import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { testConfig } from './support/harness.js';
import { randomUsNumber, startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { waitUntil } from './support/wait.js';
import { createLogger } from '../src/core/logger.js';
import { newId } from '../src/core/ids.js';
import { openDatabase, pgliteOptions, wrapPglite, type DatabaseHandle } from '../src/db/database.js';
import { startServer, type Server } from '../src/main.js';
import { resumeCampaigns } from '../src/features/campaigns/jobs.js';
import { SEND_CONCURRENCY } from '../src/features/campaigns/recipients-batch.js';

// Kill and restart: a worker sending a campaign dies mid-campaign (its database connections gone at
// once, provider calls in flight), a new process starts on the same database, and every recipient
// gets exactly one text, counted by the provider.
//
// The provider sits behind a proxy that, from one point on, passes the send to the fake Twilio (which
// takes it) but never answers: the worker is then stuck with SEND_CONCURRENCY calls in flight and the
// rest of its batch queued, exactly the windows a crash can hit. On PostgreSQL the dead process's pool
// is closed and the new one connects to the same database; on PGlite (in-process, one instance per
// database) the committed state at the moment of the crash is copied (dumpDataDir) into the new
// process's instance, which is what a restart on the same data directory would find.

const pgUrl = inject('postgresUrl');

interface Proxy {
  url: string;
  /** Sends forwarded to the provider whose answers are held back. */
  held: ServerResponse[];
  /** Sends after the first `n` the proxy forwarded have their answers held back; null: none. */
  holdAfter(n: number | null): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function startProxy(target: string): Promise<Proxy> {
  let holdAfter: number | null = null;
  let forwarded = 0;
  const held: ServerResponse[] = [];
  const server: HttpServer = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => ['authorization', 'content-type', 'accept', 'user-agent'].includes(k))) as Record<string, string>;
      const isSend = req.method === 'POST' && req.url?.endsWith('/Messages.json');
      const nth = isSend ? ++forwarded : 0;
      const upstream = await fetch(`${target}${req.url}`, { method: req.method!, headers, ...(req.method === 'POST' ? { body } : {}) });
      const text = await upstream.text();
      if (isSend && holdAfter !== null && nth > holdAfter) return void held.push(res);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(text);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    holdAfter: (n) => void (holdAfter = n === null ? null : forwarded + n),
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Process {
  server: Server;
  database: DatabaseHandle;
  pglite: PGlite | null;
}

async function startProcess(env: Record<string, string>, from: { pglite?: Blob }): Promise<Process> {
  let pglite: PGlite | null = null;
  let database: DatabaseHandle;
  if (pgUrl) {
    database = await openDatabase({ databaseUrl: pgUrl, dataDir: tmpdir(), poolSize: 5 });
  } else {
    pglite = await PGlite.create({ loadDataDir: from.pglite ?? new Blob([readFileSync(inject('pgliteTemplate'))]), ...(await pgliteOptions()) });
    database = await wrapPglite(pglite);
  }
  const server = await startServer(testConfig(env), { database, listen: false, role: 'all', log: createLogger('silent') });
  return { server, database, pglite };
}

/**
 * The process stops dead: from this moment none of its queries reaches the database and none ever
 * returns (as if it were frozen, then gone), while its provider calls stay in flight. Returns what a
 * restart finds (PGlite: the state committed now). Its jobs stay `active` in the queue, as a crash
 * leaves them. (Making its queries fail instead would let pg-boss, which does not await its own
 * bookkeeping, raise unhandled rejections in this test process that a dead process never raises.)
 */
async function kill(p: Process): Promise<Blob | undefined> {
  const committed = p.pglite ? await p.pglite.dumpDataDir('gzip') : undefined;
  const pool = p.database.pool as unknown as { connect: unknown; query: unknown; end(): Promise<void> };
  const never = () => new Promise<never>(() => undefined);
  pool.connect = never;
  pool.query = never;
  void p.server.queue.stop(false); // clears its timers; its last bookkeeping never returns
  await p.server.app?.close();
  // PostgreSQL: its idle connections close, as the server notices when a process dies.
  if (!p.pglite) await pool.end();
  return committed;
}

let fake: FakeTwilio;
let proxy: Proxy;
let restarted: Process | null = null;
beforeAll(async () => {
  fake = await startFakeTwilio();
  proxy = await startProxy(fake.url);
});
afterAll(async () => {
  await proxy.close();
  await restarted?.server.close();
  await restarted?.database.close();
  await fake.close();
});

it('a worker killed mid-campaign: the restarted one sends every remaining text once and none twice', { timeout: 180_000 }, async () => {
  const env = {
    TWILIO_ACCOUNT_SID: fake.account.sid,
    TWILIO_AUTH_TOKEN: fake.account.token,
    TWILIO_API_BASE_URL: proxy.url,
    // One queue for both processes (the restarted one sees the dead one's jobs); to the restarted
    // one, a dispatcher silent for a second is dead.
    JOBS_SCHEMA: `pgboss_restart_${randomBytes(4).toString('hex')}`,
    CAMPAIGN_STALE_SECONDS: '1',
  };
  // The first process keeps the default: on a loaded machine its own heartbeat can lag a second, and
  // its minute sweep would then start a second dispatcher beside the first, whose sends hang too.
  const a = await startProcess({ ...env, CAMPAIGN_STALE_SECONDS: '60' }, {});
  const call = (p: Process, method: 'GET' | 'POST', url: string, key: string, body?: object) =>
    p.server.app!.inject({ method, url, headers: { 'api-key': key }, ...(method === 'GET' ? { query: body as Record<string, string> } : { payload: body }) }).then((r) => ({ status: r.statusCode, body: r.json() }));

  const account = await a.server.app!.inject({ method: 'POST', url: '/create_account', payload: { email: `k-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery' } });
  const { account_id: accountId, api_key: key } = account.json();
  const bot = (await call(a, 'POST', '/create_bot', key, { name: 'Restart' })).body;
  const from = randomUsNumber('628');
  fake.addOwned(fake.account.sid, from);
  await a.database.db.insertInto('phone_numbers').values({ id: newId('num'), account_id: accountId, phone_number: from, provider: 'twilio', source: 'purchased', bot_id: bot.bot_id, sms: true, voice: true }).execute();
  const N = 150;
  const exchange = 200 + Math.floor(Math.random() * 800);
  const phones = Array.from({ length: N }, (_, i) => `+1415${exchange}${String(i).padStart(4, '0')}`);
  await a.database.db
    .insertInto('end_users')
    .values(phones.map((phone, i) => ({ id: newId('usr'), account_id: accountId, bot_id: bot.bot_id, user_id: `u${i}`, phone, attributes: '{}', updated_at: new Date() })))
    .execute();

  // The first batch (100) goes through; in the second, 20 are answered and then the provider's answers stop.
  proxy.holdAfter(120);
  const started = await call(a, 'POST', '/send_bulk_messages', key, { bot_id: bot.bot_id, audience: { all: true }, message: 'Once only', channel: 'sms', quiet_hours: false, rate_per_second: 1000 });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const campaignId: string = started.body.campaign_id;
  await waitUntil(async () => proxy.held.length, (n) => n === SEND_CONCURRENCY, 'every send slot of the worker to hang');

  const committed = await kill(a);
  const sentBeforeRestart = fake.sent.filter((m) => m.from === from).length;
  proxy.holdAfter(null);
  const b = (restarted = await startProcess(env, { pglite: committed }));
  // The restarted process's cron sweep, called on each poll rather than waited for (it runs each minute).
  const done = await waitUntil(
    async () => {
      await resumeCampaigns(b.server.deps);
      return (await call(b, 'GET', '/get_bulk_campaign', key, { campaign_id: campaignId })).body;
    },
    (c) => c.status === 'completed',
    'the restarted process to finish the campaign',
  );

  // Provider side: every recipient exactly once, including the ones whose answer was lost.
  const perRecipient = new Map<string, number>();
  for (const m of fake.sent.filter((t) => t.from === from)) perRecipient.set(m.to, (perRecipient.get(m.to) ?? 0) + 1);
  expect(perRecipient.size).toBe(N);
  expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
  // The restarted process sent what the dead one had queued but not started (its batch's rest), and nothing else.
  expect(N - sentBeforeRestart).toBe(N - 120 - SEND_CONCURRENCY);
  // The held ones were taken by the provider but their answer never came back: not resent, and settled
  // with the provider (the reconcile sweep, once the margin has passed) before the campaign completed.
  expect(done.counts).toMatchObject({ total: N, sent: N, sending: 0, pending: 0, failed: 0, canceled: 0 });
  const rows = await b.database.db.selectFrom('sms_messages').select(['status', 'provider_message_id']).where('campaign_id', '=', campaignId).execute();
  expect(rows).toHaveLength(N);
  expect(rows.filter((r) => r.provider_message_id === null)).toHaveLength(0);
});
