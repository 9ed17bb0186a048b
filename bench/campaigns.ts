/**
 * Bulk campaign benchmark on PostgreSQL, each measure next to a baseline taken in the same run:
 *  - send_bulk_messages to BENCH_CAMP_RECIPIENTS end users (audience all): the time for the call to
 *    return (campaign row, audience snapshot by INSERT … SELECT, job, audit, idempotency record in
 *    one transaction), against plain multi-row INSERTs of the same recipient rows in a transaction;
 *  - sending, rate limits off (rate_per_second 1000, quiet_hours false): the server's own worker
 *    (pg-boss, the dispatcher, the SMS send service, the Twilio adapter) to the tests' fake Twilio in
 *    its own process; messages/s from the call's return to the campaign's completion, and over the
 *    sends alone (first SMS row written to last one answered); duplicates counted by the provider
 *    (texts accepted − distinct recipients); against the Twilio adapter sending the same number of
 *    texts straight to the same fake at the dispatcher's concurrency (SEND_CONCURRENCY).
 * Everything runs in a scratch database (sinth_bench_camp_<pid>) dropped at the end.
 *
 * Environment: BENCH_DATABASE_URL (an existing database to connect through), BENCH_CAMP_RECIPIENTS
 * (10000), BENCH_CAMP_ROUNDS (3; alternating rounds, the median of each measure is kept).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { newId } from '../src/core/ids.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startServer, type Server } from '../src/main.js';
import { SEND_CONCURRENCY } from '../src/features/campaigns/recipients-batch.js';
import { twilioSms } from '../src/providers/sms/twilio-sms.js';
import { codeVersion, machineDescription, median, num, round, scratchDatabase } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RECIPIENTS = num('BENCH_CAMP_RECIPIENTS', 10_000);
const ROUNDS = num('BENCH_CAMP_ROUNDS', 3);
const GOALS = { callSeconds: 2, messagesPerS: 300, duplicates: 0 };

const log = (s: string) => process.stderr.write(`campaigns bench: ${s}\n`);

interface Provider {
  child: ChildProcess;
  url: string;
  sid: string;
  token: string;
  ask<T>(message: unknown): Promise<T>;
}

async function startProvider(): Promise<Provider> {
  const child = fork(join(import.meta.dirname, 'campaigns-provider.ts'), [], { execArgv: ['--import', 'tsx'] });
  const first = await new Promise<{ url: string; sid: string; token: string }>((res, rej) => {
    child.once('message', (m) => res(m as { url: string; sid: string; token: string }));
    child.once('error', rej);
  });
  const ask = <T>(message: unknown) =>
    new Promise<T>((res) => {
      child.once('message', (m) => res(m as T));
      child.send(message as object);
    });
  return { child, ...first, ask };
}

interface Round {
  insertBaselineMs: number;
  callMs: number;
  endToEndPerS: number;
  sendingPerS: number;
  /** CPU of this process (the server: API, worker, pool) while the campaign was sending, % of one core. */
  serverCpuPct: number;
  providerBaselinePerS: number;
  sent: number;
  providerAccepted: number;
  duplicates: number;
}

async function request(server: Server, method: 'GET' | 'POST', url: string, key: string | null, body?: object) {
  const res = await server.app!.inject({ method, url, headers: key ? { 'api-key': key } : {}, ...(body ? { payload: body } : {}) });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.json();
}

/** The baseline of the call: the same recipient rows by plain multi-row INSERTs (1,000 rows each) in one transaction. */
async function insertBaseline(server: Server, accountId: string, botId: string, userIds: string[]): Promise<number> {
  const db = server.deps.db;
  const id = newId('camp');
  const t0 = performance.now();
  await db.transaction().execute(async (trx) => {
    // Another job queue's campaign, canceled: no worker of this server ever looks at it.
    await trx.insertInto('campaigns').values({ id, account_id: accountId, bot_id: botId, message: 'baseline', audience: '{}', status: 'canceled', rate_per_second: 1, jobs_schema: 'bench_baseline' }).execute();
    for (let i = 0; i < userIds.length; i += 1000) {
      await trx.insertInto('campaign_recipients').values(userIds.slice(i, i + 1000).map((u) => ({ campaign_id: id, end_user_id: u }))).execute();
    }
  });
  const ms = performance.now() - t0;
  await db.deleteFrom('campaigns').where('id', '=', id).execute();
  return ms;
}

/** The provider's baseline: the Twilio adapter sending as many texts straight to the fake, SEND_CONCURRENCY at a time. */
async function providerBaseline(server: Server, p: Provider, from: string, phones: string[]): Promise<number> {
  const port = twilioSms(server.deps.config, { accountSid: p.sid, authToken: p.token });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SEND_CONCURRENCY }, async () => {
      while (next < phones.length) {
        const to = phones[next++]!;
        await port.send({ from, to, body: 'Hi there, the tour is on!', statusCallbackUrl: null, reference: `bench_${next}` });
      }
    }),
  );
  const perS = phones.length / ((performance.now() - t0) / 1000);
  await p.ask('stats');
  return perS;
}

async function campaignRound(server: Server, p: Provider, key: string, botId: string): Promise<Pick<Round, 'callMs' | 'endToEndPerS' | 'sendingPerS' | 'serverCpuPct' | 'sent' | 'providerAccepted' | 'duplicates'>> {
  const db = server.deps.db;
  const t0 = performance.now();
  const res = await request(server, 'POST', '/send_bulk_messages', key, { bot_id: botId, audience: { all: true }, message: 'Hi {{name}}, the tour is on!', channel: 'sms', quiet_hours: false, rate_per_second: 1000 });
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  for (;;) {
    const c = await db.selectFrom('campaigns').select('status').where('id', '=', res.campaign_id).executeTakeFirstOrThrow();
    if (c.status === 'completed') break;
    await sleep(25);
  }
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const view = await request(server, 'GET', `/get_bulk_campaign?campaign_id=${res.campaign_id}`, key);
  const span = await db
    .selectFrom('sms_messages')
    .select([sql<number>`extract(epoch from max(updated_at) - min(created_at))`.as('seconds')])
    .where('campaign_id', '=', res.campaign_id)
    .executeTakeFirstOrThrow();
  const stats = await p.ask<{ sent: number; distinct: number }>('stats');
  return {
    callMs: t1 - t0,
    endToEndPerS: view.counts.sent / ((t2 - t1) / 1000),
    sendingPerS: view.counts.sent / Number(span.seconds),
    serverCpuPct: ((cpu.user + cpu.system) / 1000 / (t2 - t1)) * 100,
    sent: view.counts.sent,
    providerAccepted: stats.sent,
    duplicates: stats.sent - stats.distinct,
  };
}

export interface CampaignResults {
  at: string;
  code: string;
  machine: string;
  seconds: number;
  config: { recipients: number; rounds: number; sendConcurrency: number; poolSize: number };
  median: Round;
  rounds: Round[];
}

export async function runCampaignBench(): Promise<CampaignResults> {
  const started = performance.now();
  const scratch = await scratchDatabase(BASE_URL, `sinth_bench_camp_${process.pid}`);
  const { pgVersion, loadBefore } = scratch;
  const dbUrl = new URL(scratch.url);
  const provider = await startProvider();
  let server: Server | null = null;
  try {
    const migrator = await openDatabase({ databaseUrl: dbUrl.toString(), dataDir: os.tmpdir() });
    await migrateToLatest(migrator.db);
    await migrator.close();
    const config = loadConfig({
      DATABASE_URL: dbUrl.toString(), DATA_DIR: mkdtempSync(join(os.tmpdir(), 'sinth-bench-camp-')), LOG_LEVEL: 'error', RATE_LIMITS: 'off', SECRET_KEY: 'cd'.repeat(32),
      TWILIO_ACCOUNT_SID: provider.sid, TWILIO_AUTH_TOKEN: provider.token, TWILIO_API_BASE_URL: provider.url,
    });
    server = await startServer(config, { listen: false, role: 'all', log: createLogger('error') });

    const account = await request(server, 'POST', '/create_account', null, { email: `bench-camp-${process.pid}@example.com`, password: 'correct horse battery' });
    const key: string = account.api_key;
    const botId: string = (await request(server, 'POST', '/create_bot', key, { name: 'Bench' })).bot_id;
    const from = '+16285550100';
    await provider.ask({ own: from });
    await server.deps.db.insertInto('phone_numbers').values({ id: newId('num'), account_id: account.account_id, phone_number: from, provider: 'twilio', source: 'purchased', bot_id: botId, sms: true, voice: true }).execute();
    const phones = Array.from({ length: RECIPIENTS }, (_, i) => `+1415${String(2_000_000 + i).padStart(7, '0')}`);
    const users = phones.map((phone, i) => ({ id: newId('usr'), account_id: account.account_id, bot_id: botId, user_id: `u${i}`, phone, name: `Fan ${i}`, attributes: '{}', updated_at: new Date() }));
    for (let i = 0; i < users.length; i += 1000) await server.deps.db.insertInto('end_users').values(users.slice(i, i + 1000)).execute();
    await sql`analyze`.execute(server.deps.db);

    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      log(`round ${r + 1} of ${ROUNDS}`);
      // Alternate which goes first, so neither always runs on a warmer database.
      const baselineFirst = r % 2 === 1;
      let insertBaselineMs = 0;
      let providerBaselinePerS = 0;
      const baselines = async () => {
        insertBaselineMs = await insertBaseline(server!, account.account_id, botId, users.map((u) => u.id));
        providerBaselinePerS = await providerBaseline(server!, provider, from, phones);
      };
      if (baselineFirst) await baselines();
      const c = await campaignRound(server, provider, key, botId);
      if (!baselineFirst) await baselines();
      rounds.push({ insertBaselineMs, providerBaselinePerS, ...c });
      log(`call ${c.callMs.toFixed(0)} ms (baseline ${insertBaselineMs.toFixed(0)} ms), ${c.endToEndPerS.toFixed(0)} msg/s end to end, ${c.sendingPerS.toFixed(0)} msg/s sending (provider direct ${providerBaselinePerS.toFixed(0)}), duplicates ${c.duplicates}`);
    }
    const pick = (k: keyof Round) => median(rounds, (x) => x[k]);
    const med: Round = Object.fromEntries((Object.keys(rounds[0]!) as (keyof Round)[]).map((k) => [k, pick(k)[k]])) as unknown as Round;
    return {
      at: new Date().toISOString(),
      code: codeVersion(),
      machine: machineDescription(pgVersion, loadBefore),
      seconds: round((performance.now() - started) / 1000, 0),
      config: { recipients: RECIPIENTS, rounds: ROUNDS, sendConcurrency: SEND_CONCURRENCY, poolSize: config.DATABASE_POOL_SIZE },
      median: med,
      rounds,
    };
  } finally {
    await server?.close();
    provider.child.send('stop');
    await scratch.drop();
  }
}

const met = (yes: boolean) => (yes ? 'met' : '**not met**');

export function formatCampaigns(r: CampaignResults): string {
  const m = r.median;
  const n = r.config.recipients.toLocaleString('en-US');
  const rows: Array<[string, string, string, string]> = [
    [`Baseline: plain INSERTs of the ${n} recipient rows (1,000 a statement) in a transaction`, `${m.insertBaselineMs.toFixed(0)} ms`, '', ''],
    [`send_bulk_messages to ${n} end users: time for the call to return`, `${(m.callMs / 1000).toFixed(2)} s`, `≤ ${GOALS.callSeconds} s`, met(m.callMs / 1000 <= GOALS.callSeconds)],
    ['Call ÷ baseline', `${(m.callMs / m.insertBaselineMs).toFixed(1)}×`, '', ''],
    [`Baseline: the Twilio adapter straight to the fake provider, ${r.config.sendConcurrency} at a time`, `${m.providerBaselinePerS.toFixed(0)} msg/s`, '', ''],
    ['Campaign sending, from the call\'s return to completion (queue pickup included)', `${m.endToEndPerS.toFixed(0)} msg/s`, `≥ ${GOALS.messagesPerS} msg/s`, met(m.endToEndPerS >= GOALS.messagesPerS)],
    ['Campaign sending, first SMS row written to last one answered', `${m.sendingPerS.toFixed(0)} msg/s`, '', ''],
    ['Sending ÷ provider baseline', `${(m.sendingPerS / m.providerBaselinePerS).toFixed(2)}×`, '', ''],
    ['Server process CPU while sending (API, worker and pool in one process)', `${m.serverCpuPct.toFixed(0)} % of a core`, '', ''],
    ['Texts the provider accepted / messages counted sent', `${m.providerAccepted} / ${m.sent}`, `${n} / ${n}`, met(m.providerAccepted === r.config.recipients && m.sent === r.config.recipients)],
    ['Duplicates (texts accepted − distinct recipients)', String(m.duplicates), `${GOALS.duplicates}`, met(m.duplicates === GOALS.duplicates)],
  ];
  return ['| measure | value | goal | |', '|---|---:|---:|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function header(r: CampaignResults): string {
  return (
    `# Bulk campaign benchmark\n\n${r.at} · ${r.code} · ${r.machine} · whole run ${r.seconds} s\n\n` +
    `PostgreSQL, scratch database with the migrations applied; the server in this process (role all, pool of ${r.config.poolSize}), ` +
    `the provider (the tests' fake Twilio, a real HTTP server) in its own. ${r.config.recipients.toLocaleString('en-US')} end users with ` +
    `phones and names; one campaign to all of them per round, rate_per_second 1000 and quiet_hours false (limits off), ` +
    `template "Hi {{name}}, the tour is on!". Every text goes through the SMS send service (a row claimed under its send key before ` +
    `the provider call) and the Twilio SDK adapter. Median of ${r.config.rounds} round(s), baselines taken in the same round, ` +
    `alternating which runs first.\n\n`
  );
}

export async function main(): Promise<void> {
  const r = await runCampaignBench();
  const text = `${header(r)}${formatCampaigns(r)}\n`;
  process.stdout.write(`\n${text}`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'campaigns.md'), text);
  writeFileSync(join(dir, 'campaigns.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
