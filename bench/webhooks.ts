/**
 * Webhook delivery benchmark on PostgreSQL, next to a baseline measured in the same run:
 *  - burst: BENCH_WH_EVENTS events written into the outbox at once for an account with one webhook
 *    (events ["*"]) to a local receiver that answers 200 at once; events/s from the outbox commit to
 *    the last event received, through the whole path (outbox relay → consumer → delivery loop →
 *    signed POST → outcome recorded), duplicates and signatures checked by the receiver;
 *  - baseline: the same payloads POSTed straight to the same receiver from one process, at the
 *    delivery loop's concurrency (WEBHOOK_CONCURRENCY), without a database;
 *  - steady: BENCH_WH_RATE events/s written in small transactions for BENCH_WH_STEADY_S seconds;
 *    outbox lag = the receiver's arrival time − the event's created_at, p50 / p99 / max.
 * The server (role all) and the receiver each run in a child process of this file.
 *
 * Environment: BENCH_DATABASE_URL (an existing database to connect through; a scratch one is made
 * next to it), BENCH_WH_EVENTS (5000), BENCH_WH_ROUNDS (3), BENCH_WH_RATE (500), BENCH_WH_STEADY_S (10).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { newId } from '../src/core/ids.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startServer } from '../src/main.js';
import { codeVersion, machineDescription, median, num, round, scratchDatabase } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EVENTS = num('BENCH_WH_EVENTS', 5_000);
const ROUNDS = num('BENCH_WH_ROUNDS', 3);
const RATE = num('BENCH_WH_RATE', 500);
const STEADY_S = num('BENCH_WH_STEADY_S', 10);
const CONCURRENCY = 32; // WEBHOOK_CONCURRENCY's default, used by the server and the baseline alike
const GOALS = { eventsPerS: 500 };
const log = (s: string) => process.stderr.write(`webhooks bench: ${s}\n`);

interface Dist { n: number; p50: number; p99: number; max: number }
function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? NaN) };
}

interface Stats { received: number; distinct: number; verified: number; lastAt: number; lags: number[] }

/** Child: a receiver answering 200 at once; records arrivals, checks signatures when asked for its stats. */
async function receiverChild(): Promise<void> {
  let verifier: Webhook | null = null;
  let got: Array<{ at: number; id: string; body: string; headers: Record<string, string> }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      got.push({ at, id: '', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers as Record<string, string> });
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
  process.on('message', (m: any) => {
    if (m === 'stop') return void server.close(() => process.exit(0));
    if (m?.secret) return void ((verifier = new Webhook(m.secret)), process.send!('ok'));
    if (m === 'count') return void process.send!(got.length);
    if (m === 'stats') {
      const batch = got;
      got = [];
      let verified = 0;
      const lags = batch.map((r) => {
        const payload = JSON.parse(r.body) as { id: string; created_at: string };
        r.id = payload.id;
        if (r.headers['webhook-signature']) {
          try {
            verifier!.verify(r.body, r.headers);
            verified++;
          } catch {
            // counted as not verified
          }
        }
        return r.at - Date.parse(payload.created_at);
      });
      const stats: Stats = { received: batch.length, distinct: new Set(batch.map((r) => r.id)).size, verified, lastAt: Math.max(0, ...batch.map((r) => r.at)), lags };
      process.send!(stats);
    }
  });
}

/** Child: the server, role all (API, outbox relay, delivery loop), allowed to deliver to 127.0.0.1. */
async function serverChild(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: process.env.BENCH_DB!, DATA_DIR: mkdtempSync(join(os.tmpdir(), 'bench-webhooks-')), PORT: '0', HOST: '127.0.0.1',
    LOG_LEVEL: 'warn', RATE_LIMITS: 'off', ALLOW_PRIVATE_URLS: 'true', WEBHOOK_CONCURRENCY: String(CONCURRENCY), SECRET_KEY: 'ef'.repeat(32),
  });
  const server = await startServer(config, { role: 'all', log: createLogger('warn') });
  process.send!({ url: server.url });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send!(process.cpuUsage());
    if (m === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
}

interface Child { child: ChildProcess; url: string; ask<T>(m: unknown): Promise<T> }

async function startChild(kind: 'server' | 'receiver', env: Record<string, string> = {}): Promise<Child> {
  const child = fork(fileURLToPath(import.meta.url), [kind], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env } });
  const url = await new Promise<string>((res, rej) => {
    child.once('message', (m) => res((m as { url: string }).url));
    child.once('exit', (code) => rej(new Error(`webhooks bench ${kind} exited with ${code}`)));
  });
  const ask = <T>(m: unknown) => new Promise<T>((res) => (child.once('message', (r) => res(r as T)), child.send(m as object)));
  return { child, url, ask };
}

async function stopChild(c: Child): Promise<void> {
  if (c.child.exitCode !== null) return;
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.send('stop');
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const payloadOf = (i: number) => {
  const id = newId('evt');
  return { id, type: 'message.received', created_at: new Date().toISOString(), data: { bot_id: 'bot_bench', user_id: `fan-${i}`, conversation_id: `conv_${i}`, message_id: `msg_${i}`, channel: 'api' } };
};

/** Writes events into the outbox as emitEvent does (the row the change's transaction would write). */
async function emit(db: pg.Client, accountId: string, payloads: Array<ReturnType<typeof payloadOf>>): Promise<void> {
  const params: string[] = [];
  const rows = payloads.map((p, i) => {
    params.push(p.id, JSON.stringify(p));
    return `($${i * 2 + 1}, '${accountId}', 'message.received', $${i * 2 + 2})`;
  });
  await db.query(`insert into outbox_events (id, account_id, type, payload) values ${rows.join(', ')}`, params);
}

async function waitFor(receiver: Child, n: number): Promise<void> {
  const end = Date.now() + 300_000;
  while ((await receiver.ask<number>('count')) < n) {
    if (Date.now() > end) throw new Error(`the receiver got fewer than ${n} events in 5 minutes`);
    await sleep(20);
  }
}

interface Round { baselinePerS: number; sinthPerS: number; burstLag: Dist; serverCpuPct: number; received: number; verified: number; duplicates: number }

async function burst(db: pg.Client, accountId: string, server: Child, receiver: Child): Promise<Omit<Round, 'baselinePerS'>> {
  const payloads = Array.from({ length: EVENTS }, (_, i) => payloadOf(i));
  const cpu0 = await server.ask<NodeJS.CpuUsage>('cpu');
  await db.query('begin');
  for (let i = 0; i < payloads.length; i += 1000) await emit(db, accountId, payloads.slice(i, i + 1000));
  await db.query('commit');
  const t0 = Date.now();
  await waitFor(receiver, EVENTS);
  const cpu1 = await server.ask<NodeJS.CpuUsage>('cpu');
  const s = await receiver.ask<Stats>('stats');
  const seconds = (s.lastAt - t0) / 1000;
  return {
    sinthPerS: EVENTS / seconds,
    burstLag: dist(s.lags),
    serverCpuPct: ((cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000 / (seconds * 1000)) * 100,
    received: s.received,
    verified: s.verified,
    duplicates: s.received - s.distinct,
  };
}

/** The same payloads POSTed from this process, CONCURRENCY at a time, over kept-alive connections. */
async function baseline(receiver: Child): Promise<number> {
  const bodies = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(payloadOf(i)));
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const res = await request(`${receiver.url}/baseline`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[next++]! });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`baseline POST answered ${res.statusCode}`);
    }
  }));
  const perS = EVENTS / ((performance.now() - t0) / 1000);
  await agent.close();
  await receiver.ask('stats');
  return perS;
}

/** RATE events/s for STEADY_S seconds, in transactions of RATE/50 events every 20 ms. */
async function steady(db: pg.Client, accountId: string, receiver: Child): Promise<Stats> {
  const perTick = Math.max(1, Math.round(RATE / 50));
  const ticks = STEADY_S * 50;
  const start = performance.now();
  for (let t = 0; t < ticks; t++) {
    await emit(db, accountId, Array.from({ length: perTick }, (_, i) => payloadOf(t * perTick + i)));
    const due = start + (t + 1) * 20 - performance.now();
    if (due > 0) await sleep(due);
  }
  await waitFor(receiver, perTick * ticks);
  return receiver.ask<Stats>('stats');
}

export async function main(): Promise<void> {
  const started = performance.now();
  const scratch = await scratchDatabase(BASE_URL, `sinth_bench_webhooks_${process.pid}`);
  const migrator = await openDatabase({ databaseUrl: scratch.url, dataDir: os.tmpdir() });
  await migrateToLatest(migrator.db);
  await migrator.close();
  const receiver = await startChild('receiver');
  const server = await startChild('server', { BENCH_DB: scratch.url });
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  try {
    const call = async (path: string, body: object, key?: string) => {
      const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'api-key': key } : {}) }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    const account = await call('/create_account', { email: `bench-webhooks-${process.pid}@example.com`, password: 'correct horse battery' });
    const hook = await call('/add_webhook', { url: `${receiver.url}/hook`, events: ['*'] }, account.api_key);
    await receiver.ask({ secret: hook.secret });

    log('warm-up');
    await emit(db, account.account_id, Array.from({ length: 500 }, (_, i) => payloadOf(i)));
    await waitFor(receiver, 500);
    await receiver.ask('stats');

    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      let baselinePerS = 0;
      if (r % 2 === 1) baselinePerS = await baseline(receiver);
      const b = await burst(db, account.account_id, server, receiver);
      if (r % 2 === 0) baselinePerS = await baseline(receiver);
      rounds.push({ baselinePerS, ...b });
      log(`round ${r + 1}/${ROUNDS}: sinth ${b.sinthPerS.toFixed(0)} events/s, baseline ${baselinePerS.toFixed(0)}/s, burst lag p99 ${b.burstLag.p99} ms, duplicates ${b.duplicates}`);
    }
    log(`steady ${RATE} events/s for ${STEADY_S} s`);
    const s = await steady(db, account.account_id, receiver);
    // Received is not yet recorded: wait for the last outcomes to be written before counting them.
    for (let i = 0; i < 500 && Number((await db.query(`select count(*) n from webhook_deliveries where status <> 'succeeded'`)).rows[0].n) > 0; i++) await sleep(20);
    const { rows } = await db.query<{ status: string; n: string }>('select status, count(*) n from webhook_deliveries group by status');
    const pick = <K extends keyof Round>(k: K) => median(rounds, (x) => (typeof x[k] === 'number' ? (x[k] as number) : (x[k] as Dist).p99))[k];
    const med = Object.fromEntries((Object.keys(rounds[0]!) as Array<keyof Round>).map((k) => [k, pick(k)])) as unknown as Round;
    const result = {
      at: new Date().toISOString(),
      code: codeVersion(),
      machine: machineDescription(scratch.pgVersion, scratch.loadBefore),
      seconds: round((performance.now() - started) / 1000, 0),
      config: { events: EVENTS, rounds: ROUNDS, concurrency: CONCURRENCY, steadyRate: RATE, steadySeconds: STEADY_S },
      median: med,
      rounds,
      steady: { lag: dist(s.lags), received: s.received, verified: s.verified, duplicates: s.received - s.distinct },
      deliveries: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
    };
    report(result);
  } finally {
    await db.end();
    await Promise.all([stopChild(server), stopChild(receiver)]);
    await scratch.drop();
  }
}

function report(r: any): void {
  const m: Round = r.median;
  const met = (yes: boolean) => (yes ? 'met' : '**not met**');
  const n = r.config.events.toLocaleString('en-US');
  const d = (x: Dist) => `${x.p50} ms / ${x.p99} ms / ${x.max} ms`;
  const rows: Array<[string, string, string, string]> = [
    [`Baseline: the same ${n} payloads POSTed straight to the receiver from one process, ${r.config.concurrency} at a time`, `${m.baselinePerS.toFixed(0)} events/s`, '', ''],
    [`sinth: ${n} events in the outbox → relayed, signed, delivered (from the commit to the last arrival; every outcome recorded)`, `${m.sinthPerS.toFixed(0)} events/s`, `≥ ${GOALS.eventsPerS} events/s`, met(m.sinthPerS >= GOALS.eventsPerS)],
    ['sinth ÷ baseline', `${(m.sinthPerS / m.baselinePerS).toFixed(2)}×`, '', ''],
    [`Outbox lag at a steady ${r.config.steadyRate} events/s for ${r.config.steadySeconds} s: p50 / p99 / max`, d(r.steady.lag), '', ''],
    [`Outbox lag in the burst (queueing behind ${n} events): p50 / p99 / max`, d(m.burstLag), '', ''],
    ['Server process CPU during the burst (API, relay, delivery loop, pool)', `${m.serverCpuPct.toFixed(0)} % of a core`, '', ''],
    ['Burst: received / signatures verified / duplicates', `${m.received} / ${m.verified} / ${m.duplicates}`, `${n} / ${n} / 0`, met(m.received === r.config.events && m.verified === r.config.events && m.duplicates === 0)],
    ['Steady: received / signatures verified / duplicates', `${r.steady.received} / ${r.steady.verified} / ${r.steady.duplicates}`, '', met(r.steady.verified === r.steady.received && r.steady.duplicates === 0)],
  ];
  const text =
    `# Webhook delivery benchmark\n\n${r.at} · ${r.code} · ${r.machine} · whole run ${r.seconds} s\n\n` +
    `PostgreSQL, scratch database with the migrations applied. The server (role all: API, outbox relay, delivery loop; pool of 10; ` +
    `WEBHOOK_CONCURRENCY ${r.config.concurrency}; ALLOW_PRIVATE_URLS=true) and a receiver (node:http, answers 200 at once, checks every signature ` +
    `with the standardwebhooks verifier after the run) each in a child process. One account with one webhook (events ["*"]). Events are ` +
    `written into outbox_events as emitEvent writes them (the burst in one transaction; the steady phase in a transaction every 20 ms). ` +
    `Median of ${r.config.rounds} round(s), the baseline taken in the same round, alternating which runs first. Deliveries at the end: ` +
    `${Object.entries(r.deliveries).map(([k, v]) => `${v} ${k}`).join(', ')}.\n\n` +
    ['| measure | value | goal | |', '|---|---:|---:|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n') + '\n';
  process.stdout.write(`\n${text}`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'webhooks.md'), text);
  writeFileSync(join(dir, 'webhooks.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const kind = process.argv[2];
  if (kind === 'receiver') await receiverChild();
  else if (kind === 'server') await serverChild();
  else await main();
}
