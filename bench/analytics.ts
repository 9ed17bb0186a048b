/**
 * Analytics benchmark on PostgreSQL: GET /get_analytics for an account with BENCH_ANALYTICS_MESSAGES
 * (1,000,000) messages over 90 days, next to a baseline measured in the same run: the single query
 * `select date_trunc('day', created_at), count(*) from messages where account_id = … and created_at
 * between … group by 1` through the same pool. Requests go through the whole HTTP app in this process
 * (app.inject: auth, validation, the queries, serialisation); runs of the measure and of its baseline
 * alternate. Goal: p95 ≤ 200 ms for a 30-day daily series; hour (14 days) and week (90 days) intervals
 * and one bot's series are measured for context.
 *
 * The data, bulk-inserted with generate_series after the app's migrations (so every index exists while
 * it is written): 3 bots, 20,000 end users, 24,000 conversations (api 60 %, sms 30 %, voice 10 %), the
 * messages (half from users, replies with latency and tokens, 3 % curated), an SMS row for every message
 * of an SMS conversation, 9,000 calls, feedback on 2 % of replies, daily usage counters, 3,000 takeover
 * events among 100,000 other outbox events, 20,000 audit rows; and another account with a quarter as
 * much, so the account's rows are not the whole table. Everything runs in a scratch database
 * (sinth_bench_analytics_<pid>) dropped at the end.
 *
 * Environment: BENCH_DATABASE_URL (an existing database to connect through), BENCH_ANALYTICS_MESSAGES
 * (1000000), BENCH_ANALYTICS_RUNS (50 per measure).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import type { DB } from '../src/db/schema.js';
import { resolveRange } from '../src/features/analytics/range.js';
import * as R from '../src/features/analytics/rollup-queries.js';
import { rollupClosedDays } from '../src/features/analytics/rollups.js';
import * as Q from '../src/features/analytics/series-queries.js';
import { startServer, type Server } from '../src/main.js';
import { codeVersion, machineDescription, num, round, scratchDatabase } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MESSAGES = num('BENCH_ANALYTICS_MESSAGES', 1_000_000);
const RUNS = num('BENCH_ANALYTICS_RUNS', 50);
const DAYS = 90;
const GOALS = { dailyP95Ms: 200 };
const DAY_MS = 86_400_000;

const log = (s: string) => process.stderr.write(`analytics bench: ${s}\n`);

/** Ids that sort by time as src/core/ids.ts makes them (48-bit milliseconds first), for the tables read by id window. */
const ID_FUNCTION = sql`
  create function bench_id(prefix text, t timestamptz, n bigint) returns text language sql immutable as $$
    select prefix || '_' || (select string_agg(substr('0123456789abcdefghjkmnpqrstvwxyz', ((((extract(epoch from t) * 1000)::bigint << 2) >> (45 - 5 * i)) & 31)::int + 1, 1), '' order by i) from generate_series(0, 9) i)
      || lpad(to_hex(n), 16, '0')
  $$`;

interface Tenant {
  accountId: string;
  key: string;
  botIds: string[];
  messages: number;
  users: number;
  /** Offset of this tenant's generated numbers, so ids never collide between tenants. */
  base: number;
}

/** One tenant's rows, oldest to newest over DAYS days ending at `end`. */
async function fill(db: Kysely<DB>, t: Tenant, end: Date): Promise<void> {
  const start = new Date(end.getTime() - DAYS * DAY_MS);
  const span = `${DAYS} days`;
  const a = t.accountId;
  const bots = t.botIds;
  const step = (n: number) => sql`(${start}::timestamptz + ${span}::interval * (g::float8 / ${n}))`;
  await sql`
    insert into end_users (id, account_id, bot_id, user_id, attributes, first_seen_at, last_seen_at, created_at, updated_at)
    select bench_id('usr', ${step(t.users)}, ${t.base} + g), ${a}, (${bots}::text[])[1 + (g % 3)::int], 'fan-' || g, '{}', ${step(t.users)}, ${end}, ${step(t.users)}, ${end}
    from generate_series(0::bigint, ${t.users - 1}) g`.execute(db);
  // Every user talks on one channel; every fifth also on a second one.
  await sql`
    insert into conversations (id, account_id, bot_id, user_id, channel, created_at, updated_at, last_message_at)
    select bench_id('conv', u.first_seen_at, ${t.base} + n * 2 + k), u.account_id, u.bot_id, u.user_id, ch, u.first_seen_at, ${end}, ${end}
    from (select u.*, row_number() over (order by u.id) as n from end_users u where account_id = ${a}) u
    cross join lateral (
      select case when n % 10 < 6 then 'api' when n % 10 < 9 then 'sms' else 'voice' end as ch, 0 as k
      union all
      select case when n % 10 < 6 then 'sms' else 'api' end, 1 where n % 5 = 0
    ) channels`.execute(db);
  await sql`create temp table numbered as select row_number() over (order by id) - 1 as n, id from conversations where account_id = ${a}`.execute(db);
  const conversations = Number((await sql<{ c: number }>`select count(*) as c from numbered`.execute(db)).rows[0]!.c);
  // Three exchanges in a row per conversation; replies from the model, 3 % curated, some operators.
  await sql`
    insert into messages (id, account_id, conversation_id, role, content, status, source, model, tokens_in, tokens_out, latency_ms, tokens, created_at)
    select bench_id('msg', ${step(t.messages)}, ${t.base} + g), ${a}, c.id,
      case when g % 2 = 0 then 'user' when g % 50 = 49 then 'operator' else 'assistant' end,
      'Benchmark message ' || g || ', about as long as a fan''s message or a short reply would be.', 'ok',
      case when g % 2 = 0 or g % 50 = 49 then null when g % 33 = 1 then 'retrained' else 'model' end,
      case when g % 2 = 1 and g % 33 <> 1 and g % 50 <> 49 then 'persona-1' end,
      case when g % 2 = 1 and g % 33 <> 1 and g % 50 <> 49 then 400 + g % 500 end,
      case when g % 2 = 1 and g % 33 <> 1 and g % 50 <> 49 then 30 + g % 120 end,
      case when g % 2 = 1 and g % 50 <> 49 then 300 + (g * 7919) % 2700 end,
      20, ${step(t.messages)}
    from generate_series(0::bigint, ${t.messages - 1}) g
    join numbered c on c.n = ((g / 6) * 7919) % ${conversations}`.execute(db);
  await sql`drop table numbered`.execute(db);
  await sql`
    insert into usage_daily (account_id, day, bot_id, replies, model_calls, tokens_in, tokens_out)
    select ${a}, (m.created_at at time zone 'UTC')::date, c.bot_id, count(*) filter (where m.role = 'assistant'), count(*) filter (where m.source = 'model'), coalesce(sum(m.tokens_in), 0), coalesce(sum(m.tokens_out), 0)
    from messages m join conversations c on c.id = m.conversation_id where m.account_id = ${a} group by 2, 3`.execute(db);
  await sql`
    insert into sms_messages (id, account_id, bot_id, message_id, direction, from_number, to_number, body, provider, status, segments, encoding, created_at, updated_at)
    select bench_id('sms', m.created_at, ${t.base} + row_number() over ()), ${a}, c.bot_id, m.id, case when m.role = 'user' then 'inbound' else 'outbound' end,
      '+14155550100', '+14155550101', 'x', 'twilio', case when m.role = 'user' then 'received' else 'delivered' end, 1 + (m.id ~ '[02468]$')::int, 'GSM-7', m.created_at, m.created_at
    from messages m join conversations c on c.id = m.conversation_id where m.account_id = ${a} and c.channel = 'sms'`.execute(db);
  const calls = Math.round(t.messages * 0.009);
  await sql`
    insert into calls (id, account_id, bot_id, conversation_id, provider, direction, from_number, to_number, status, locale, duration_seconds, transferred_at, transferred_to, created_at, ended_at, updated_at)
    select bench_id('call', ${step(calls)}, ${t.base} + g), ${a}, c.bot_id, c.id, 'twilio', case when g % 4 = 0 then 'outbound' else 'inbound' end, '+14155550102', '+14155550100', 'completed', 'en-US',
      30 + (g * 37) % 600, case when g % 20 = 0 then ${step(calls)} end, case when g % 20 = 0 then '+14155550199' end, ${step(calls)}, ${step(calls)}, ${step(calls)}
    from generate_series(0::bigint, ${calls - 1}) g
    join (select row_number() over (order by id) - 1 as n, id, bot_id from conversations where account_id = ${a} and channel = 'voice') c on c.n = g % (select count(*) from conversations where account_id = ${a} and channel = 'voice')`.execute(db);
  await sql`
    insert into usage_daily (account_id, day, bot_id, call_seconds)
    select ${a}, (created_at at time zone 'UTC')::date, bot_id, sum(duration_seconds) from calls where account_id = ${a} group by 2, 3
    on conflict (account_id, day, bot_id) do update set call_seconds = excluded.call_seconds`.execute(db);
  await sql`
    insert into feedback (id, account_id, bot_id, message_id, rating, created_at, updated_at)
    select bench_id('fb', m.created_at, ${t.base} + row_number() over ()), ${a}, c.bot_id, m.id, case when abs(hashtext(m.id)) % 250 = 0 then 'down' else 'up' end, m.created_at, m.created_at
    from messages m join conversations c on c.id = m.conversation_id where m.account_id = ${a} and m.role = 'assistant' and abs(hashtext(m.id)) % 50 = 0`.execute(db);
  const takeovers = Math.round(t.messages * 0.003);
  const others = Math.round(t.messages * 0.1);
  await sql`
    insert into outbox_events (id, account_id, type, payload, created_at, dispatched_at)
    select bench_id('evt', ${step(takeovers + others)}, ${t.base} + g), ${a}, case when g % 34 = 0 then 'conversation.takeover' else 'message.received' end,
      jsonb_build_object('data', jsonb_build_object('bot_id', (${bots}::text[])[1 + (g % 3)::int])), ${step(takeovers + others)}, ${step(takeovers + others)}
    from generate_series(0::bigint, ${takeovers + others - 1}) g`.execute(db);
  const audits = Math.round(t.messages * 0.02);
  await sql`
    insert into audit_logs (id, account_id, actor_type, actor_id, action, object_type, object_id, details, created_at)
    select bench_id('log', ${step(audits)}, ${t.base} + g), ${a}, 'system', null, case when g % 10 = 0 then 'user.opted_out' else 'user.updated' end, 'user', 'usr_x',
      jsonb_build_object('bot_id', (${bots}::text[])[1 + (g % 3)::int]), ${step(audits)}
    from generate_series(0::bigint, ${audits - 1}) g`.execute(db);
}

interface Dist {
  n: number;
  p50: number;
  p95: number;
  max: number;
}
function dist(xs: number[]): Dist {
  const s = [...xs].sort((x, y) => x - y);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: round(at(0.5), 1), p95: round(at(0.95), 1), max: round(s[s.length - 1] ?? NaN, 1) };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

async function get(server: Server, key: string, query: Record<string, string>): Promise<any> {
  const res = await server.app!.inject({ method: 'GET', url: '/get_analytics', query, headers: { 'api-key': key } });
  if (res.statusCode !== 200) throw new Error(`get_analytics: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.json();
}

export async function main(): Promise<void> {
  const started = performance.now();
  const scratch = await scratchDatabase(BASE_URL, `sinth_bench_analytics_${process.pid}`);
  let server: Server | null = null;
  try {
    const config = loadConfig({ DATABASE_URL: scratch.url, DATA_DIR: mkdtempSync(join(os.tmpdir(), 'sinth-bench-analytics-')), LOG_LEVEL: 'error', RATE_LIMITS: 'off', SECRET_KEY: 'ef'.repeat(32) });
    // Role api: the migrations run, and no worker relays or sends behind the measure's back.
    server = await startServer(config, { listen: false, role: 'api', log: createLogger('error') });
    const db = server.deps.db;
    const inject = async (url: string, body: object, key?: string) => (await server!.app!.inject({ method: 'POST', url, payload: body, headers: key ? { 'api-key': key } : {} })).json();
    const tenants: Tenant[] = [];
    for (const [i, share] of [1, 0.25].entries()) {
      const account = await inject('/create_account', { email: `bench-analytics-${i}-${process.pid}@example.com`, password: 'correct horse battery' });
      const botIds: string[] = [];
      for (const name of ['Luna', 'Nova', 'Iris']) botIds.push((await inject('/create_bot', { name }, account.api_key)).bot_id);
      tenants.push({ accountId: account.account_id, botIds, messages: Math.round(MESSAGES * share), users: Math.round(20_000 * share), base: i * 100_000_000, key: account.api_key });
    }
    const end = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    await ID_FUNCTION.execute(db);
    for (const t of tenants) {
      const t0 = performance.now();
      await fill(db, t, end);
      log(`${t.messages} messages and the rest written in ${round((performance.now() - t0) / 1000, 1)} s`);
    }
    await sql`vacuum analyze`.execute(db); // as autovacuum would have, before the rollups read the messages
    // As a deployed server has them: the job rolls up every closed day (all of them here: the data ends at midnight).
    const r0 = performance.now();
    const rolledDays = await rollupClosedDays(db);
    const rollupSeconds = round((performance.now() - r0) / 1000, 1);
    log(`${rolledDays} account-days rolled up in ${rollupSeconds} s`);
    // On a live server each day was rolled up soon after it closed: the check for imports since then
    // (rollup-queries.ts) reads the audit log from there, not from a moment ago.
    await sql`update analytics_rollup_days set rolled_at = (day + 1)::timestamp at time zone 'UTC' + interval '10 minutes'`.execute(db);
    await sql`vacuum analyze`.execute(db);
    const buildSeconds = round((performance.now() - started) / 1000, 0);

    const target = tenants[0]!;
    const iso = (ms: number) => new Date(ms).toISOString();
    const cases: Array<{ name: string; query: Record<string, string> }> = [
      { name: '30 days by day', query: { from: iso(end.getTime() - 30 * DAY_MS), to: iso(end.getTime()), interval: 'day' } },
      { name: '30 days by day, one bot', query: { from: iso(end.getTime() - 30 * DAY_MS), to: iso(end.getTime()), interval: 'day', bot_id: target.botIds[0]! } },
      { name: '14 days by hour', query: { from: iso(end.getTime() - 14 * DAY_MS), to: iso(end.getTime()), interval: 'hour' } },
      { name: `${DAYS} days by week`, query: { from: iso(end.getTime() - DAYS * DAY_MS), to: iso(end.getTime()), interval: 'week' } },
    ];
    const baseline = () =>
      sql`select date_trunc('day', created_at), count(*) from messages where account_id = ${target.accountId} and created_at between ${new Date(end.getTime() - 30 * DAY_MS)} and ${end} group by 1`.execute(db);

    const sample = await get(server, target.key, cases[0]!.query);
    const plan = (await sql<{ 'QUERY PLAN': string }>`explain select count(*) from messages m join conversations c on c.id = m.conversation_id where m.account_id = ${target.accountId} and m.created_at >= ${new Date(end.getTime() - 30 * DAY_MS)} and m.created_at < ${end}`.execute(db)).rows.map((r) => r['QUERY PLAN']);
    const results: Array<{ name: string; analytics: Dist; baseline: Dist }> = [];
    for (const c of cases) {
      for (let i = 0; i < 5; i++) await get(server, target.key, c.query); // warm-up: caches, JIT, plans
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Alternating, so drifts in the machine's load hit both alike.
        if (i % 2 === 0) {
          a.push(await timed(() => get(server!, target.key, c.query)));
          b.push(await timed(baseline));
        } else {
          b.push(await timed(baseline));
          a.push(await timed(() => get(server!, target.key, c.query)));
        }
      }
      results.push({ name: c.name, analytics: dist(a), baseline: dist(b) });
      log(`${c.name}: p50 ${dist(a).p50} ms, p95 ${dist(a).p95} ms (baseline p50 ${dist(b).p50} ms)`);
    }
    // Where the time goes: each source's query of the 30-day daily series alone, one after another.
    const range = resolveRange(cases[0]!.query as { from: string; to: string; interval: 'day' });
    const scope = { accountId: target.accountId, botIds: null };
    const days = await R.currentRolledDays(db, scope.accountId, range.from, range.to);
    const sources = {
      rolled_days: () => R.currentRolledDays(db, scope.accountId, range.from, range.to),
      rolled_messages: () => R.rolledMessageCounts(db, scope, range, days),
      rolled_latency: () => R.rolledLatency(db, scope, range, days),
      rolled_active_users: () => Q.activeUsers(db, scope, null, { range, days, skip: [] }),
      raw_messages: Q.messageCounts, raw_reply_latency: Q.replyLatency, raw_active_users: Q.activeUsers, conversations: Q.conversationCounts, new_users: Q.newUsers, usage: Q.dailyUsage, feedback: Q.feedbackCounts, calls: Q.callCounts, sms: Q.smsSegments, takeovers: Q.takeoverRequests, opt_outs: Q.optOuts };
    const breakdown: Record<string, number> = {};
    for (const [name, query] of Object.entries(sources)) {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) times.push(await timed(() => query(db, scope, range)));
      breakdown[name] = dist(times).p50;
    }
    const counts = (await sql<{ messages: number; in_range: number }>`
      select count(*) as messages, count(*) filter (where created_at >= ${new Date(end.getTime() - 30 * DAY_MS)}) as in_range from messages where account_id = ${target.accountId}`.execute(db)).rows[0]!;
    report({
      at: new Date().toISOString(),
      code: codeVersion(),
      machine: machineDescription(scratch.pgVersion, scratch.loadBefore),
      seconds: round((performance.now() - started) / 1000, 0),
      build_seconds: buildSeconds,
      config: { messages: MESSAGES, runs: RUNS, days: DAYS, pool: config.DATABASE_POOL_SIZE },
      rollup: { account_days: rolledDays, seconds: rollupSeconds },
      account: { messages: Number(counts.messages), messages_in_30_days: Number(counts.in_range), totals_30_days: sample.totals },
      messages_plan: plan,
      breakdown_p50_ms: breakdown,
      results,
    });
  } finally {
    await server?.close();
    await scratch.drop();
  }
}

function report(r: any): void {
  const daily = r.results[0];
  const met = daily.analytics.p95 <= GOALS.dailyP95Ms ? 'met' : '**not met**';
  const rows = r.results
    .map((x: any, i: number) => `| get_analytics, ${x.name} | ${x.analytics.p50} ms | ${x.analytics.p95} ms | ${i === 0 ? `≤ ${GOALS.dailyP95Ms} ms` : ''} | ${i === 0 ? met : ''} |\n| Baseline in the same runs (one daily count of the account's messages, 30 days) | ${x.baseline.p50} ms | ${x.baseline.p95} ms |  |  |\n| Ratio p50 | ${round(x.analytics.p50 / x.baseline.p50, 1)}× |  |  |  |`)
    .join('\n');
  const text = `# Analytics benchmark

${r.at} · ${r.code} · ${r.machine} · whole run ${r.seconds} s (data ${r.build_seconds} s)

PostgreSQL, scratch database with the app's migrations applied before the data was written. The account: ${r.account.messages.toLocaleString('en-US')} messages over ${r.config.days} days (${r.account.messages_in_30_days.toLocaleString('en-US')} in the last 30) with the SMS rows, calls, feedback, usage counters, outbox events and audit rows that go with them (see bench/analytics.ts), next to a second account a quarter its size. GET /get_analytics through the whole app in this process (auth, validation, the queries side by side on a pool of ${r.config.pool}, serialisation), ${r.config.runs} runs per measure after 5 warm-up runs, alternating with the baseline: the single query \`select date_trunc('day', created_at), count(*) from messages where account_id = … and created_at between … group by 1\` through the same pool.

| measure | p50 | p95 | goal | |
|---|---:|---:|---:|---|
${rows}

Each source's query of the 30-day daily series alone (p50 of 10, one after another; get_analytics runs them side by side): ${Object.entries(r.breakdown_p50_ms).map(([k, v]) => `${k} ${v} ms`).join(', ')}. With the rollups (rollup job run before measuring, as a deployed server has run it: ${r.rollup.account_days} account-days in ${r.rollup.seconds} s), a day or week series reads the three message-based statistics of closed days from analytics_daily and analytics_active_users (rolled_*) and only the days not rolled up (today) from the messages; raw_* are those three reads over the month's messages, as hour series (and ranges of days not rolled up yet) still do. The data ends at midnight, so today's raw part is empty here; on a live account it adds one day's messages to read (about 1/30 of a month's).

Totals of the 30-day daily series: ${JSON.stringify(r.account.totals_30_days)}

Plan of the account's messages of 30 days joined to their conversations:

\`\`\`
${r.messages_plan.join('\n')}
\`\`\`
`;
  process.stdout.write(`\n${text}\n`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'analytics.md'), text);
  writeFileSync(join(dir, 'analytics.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
