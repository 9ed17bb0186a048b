import type { ServiceContext } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import { loadBot } from '../bots/bot-access.js';
import { resolveRange, type AnalyticsRange } from './range.js';
import type { AnalyticsBucket, AnalyticsQuery, AnalyticsTotals } from './schemas.js';
import { addTo, percentilesOf } from './latency-histogram.js';
import * as R from './rollup-queries.js';
import * as Q from './series-queries.js';

type Counter = Exclude<keyof AnalyticsTotals, 'messages_by_channel' | 'reply_latency_p50_ms' | 'reply_latency_p95_ms' | 'call_minutes'>;
const COUNTERS: Counter[] = ['messages_in', 'messages_out', 'active_users', 'new_users', 'conversations', 'tokens_in', 'tokens_out', 'model_calls', 'feedback_up', 'feedback_down', 'retrained_hits', 'takeovers', 'calls', 'sms_segments', 'opt_outs'];

interface Tally extends Omit<AnalyticsTotals, 'call_minutes'> {
  call_seconds: number;
}

const empty = (): Tally => ({
  ...(Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Record<Counter, number>),
  messages_by_channel: { api: 0, sms: 0, voice: 0 },
  reply_latency_p50_ms: null,
  reply_latency_p95_ms: null,
  call_seconds: 0,
});

const minutes = (seconds: number) => Math.round((seconds / 60) * 100) / 100;
const finish = ({ call_seconds, ...t }: Tally): AnalyticsTotals => ({ ...t, call_minutes: minutes(call_seconds) });

const DAY = 86_400_000;

/**
 * Where the message-based numbers of a day or week series come from: the range's rolled-up days from
 * the rollups, the rest (today, days not rolled up yet) from the messages of `raw` (null: none) less
 * the rolled-up days inside it.
 */
async function messageSources(db: Database, scope: Q.Scope, range: AnalyticsRange) {
  const days = await R.currentRolledDays(db, scope.accountId, range.from, range.to);
  const rolled = new Set(days);
  const open: number[] = [];
  for (let t = range.from.getTime(); t < range.to.getTime(); t += DAY) if (!rolled.has(R.dayOf(new Date(t)))) open.push(t);
  if (open.length === 0) return { days, raw: null, skip: [] };
  const raw = { ...range, from: new Date(open[0]!), to: new Date(open[open.length - 1]! + DAY) };
  return { days, raw, skip: days.filter((d) => d >= R.dayOf(raw.from) && d < R.dayOf(raw.to)) };
}

/**
 * The series of a range: one query per source, run side by side, each grouped by bucket in SQL and
 * filtered by account and time on an index; every bucket is present, empty ones with zeros. Day and
 * week series read the messages of rolled-up days from the rollups (rollups.ts), and give reply
 * latency percentiles from log-scale histograms (within 1 % of the exact ones, latency-histogram.ts);
 * hour series read the messages. `counts` leaves out the two costly statistics, reply latency and
 * active users (null and 0).
 */
export async function computeAnalytics(db: Database, scope: Q.Scope, range: AnalyticsRange, detail: 'full' | 'counts' = 'full'): Promise<{ series: AnalyticsBucket[]; totals: AnalyticsTotals }> {
  const hourly = range.interval === 'hour';
  const full = detail === 'full';
  const src = hourly ? { days: [], raw: range, skip: [] } : await messageSources(db, scope, range);
  const none = Promise.resolve([] as Q.SeriesRow[]);
  const [messages, rolledMessages, latency, histogram, rolledHistogram, active, conversations, users, usage, feedback, calls, sms, takeovers, optOuts] = await Promise.all([
    src.raw ? Q.messageCounts(db, scope, src.raw, src.skip) : none,
    src.days.length ? R.rolledMessageCounts(db, scope, range, src.days) : none,
    full && hourly ? Q.replyLatency(db, scope, range) : none,
    full && !hourly && src.raw ? R.latencyHistogram(db, scope, src.raw, src.skip) : none,
    full && src.days.length ? R.rolledLatency(db, scope, range, src.days) : none,
    !full ? none : hourly ? Q.activeUsers(db, scope, range) : Q.activeUsers(db, scope, src.raw, { range, days: src.days, skip: src.skip }),
    Q.conversationCounts(db, scope, range),
    Q.newUsers(db, scope, range),
    hourly ? none : Q.dailyUsage(db, scope, range),
    Q.feedbackCounts(db, scope, range),
    Q.callCounts(db, scope, range),
    Q.smsSegments(db, scope, range),
    Q.takeoverRequests(db, scope, range),
    Q.optOuts(db, scope, range),
  ]);

  const buckets = new Map(range.buckets.map((t) => [t.getTime(), empty()]));
  const total = empty();
  const n = (v: unknown) => Number(v ?? 0);
  /** Adds a query's per-bucket numbers; its range-wide row (t null) goes to `whole`. */
  const add = (rows: Q.SeriesRow[], apply: (into: Tally, row: Q.SeriesRow) => void, whole?: (row: Q.SeriesRow) => void) => {
    for (const row of rows) {
      if (row.t === null) whole?.(row);
      else {
        const into = buckets.get(new Date(row.t).getTime());
        if (into) apply(into, row);
      }
    }
  };

  add([...messages, ...rolledMessages], (b, r) => {
    b.messages_in += n(r.messages_in);
    b.messages_out += n(r.messages_out);
    b.messages_by_channel.api += n(r.api);
    b.messages_by_channel.sms += n(r.sms);
    b.messages_by_channel.voice += n(r.voice);
    b.retrained_hits += n(r.retrained_hits);
    if (hourly) {
      b.tokens_in += n(r.tokens_in);
      b.tokens_out += n(r.tokens_out);
      b.model_calls += n(r.model_calls);
    }
  });
  const percentiles = (into: Tally, r: Q.SeriesRow) => {
    const p = (r.p as number[] | null) ?? [];
    into.reply_latency_p50_ms = p[0] ?? null;
    into.reply_latency_p95_ms = p[1] ?? null;
  };
  add(latency, percentiles, (r) => percentiles(total, r));
  const histograms = new Map<number, Map<number, number>>();
  const whole = new Map<number, number>();
  for (const r of [...histogram, ...rolledHistogram]) {
    const t = new Date(r.t!).getTime();
    if (!histograms.has(t)) histograms.set(t, new Map());
    addTo(histograms.get(t)!, Number(r.b), n(r.n));
    addTo(whole, Number(r.b), n(r.n));
  }
  for (const [t, hist] of histograms) {
    const into = buckets.get(t);
    if (into) [into.reply_latency_p50_ms, into.reply_latency_p95_ms] = percentilesOf(hist);
  }
  if (histograms.size) [total.reply_latency_p50_ms, total.reply_latency_p95_ms] = percentilesOf(whole);
  add(active, (b, r) => (b.active_users = n(r.active_users)), (r) => (total.active_users = n(r.active_users)));
  add(conversations, (b, r) => (b.conversations += n(r.conversations)));
  add(users, (b, r) => (b.new_users += n(r.new_users)));
  add(usage, (b, r) => {
    b.tokens_in += n(r.tokens_in);
    b.tokens_out += n(r.tokens_out);
    b.model_calls += n(r.model_calls);
    b.call_seconds += n(r.call_seconds);
  });
  add(feedback, (b, r) => {
    b.feedback_up += n(r.feedback_up);
    b.feedback_down += n(r.feedback_down);
  });
  add(calls, (b, r) => {
    b.calls += n(r.calls);
    b.takeovers += n(r.transfers);
    if (hourly) b.call_seconds += n(r.call_seconds);
  });
  add(sms, (b, r) => (b.sms_segments += n(r.sms_segments)));
  add(takeovers, (b, r) => (b.takeovers += n(r.takeovers)));
  add(optOuts, (b, r) => (b.opt_outs += n(r.opt_outs)));

  const series: AnalyticsBucket[] = [];
  for (const [t, b] of buckets) {
    series.push({ t: new Date(t).toISOString(), ...finish(b) });
    for (const k of COUNTERS) if (k !== 'active_users') total[k] += b[k];
    for (const c of ['api', 'sms', 'voice'] as const) total.messages_by_channel[c] += b.messages_by_channel[c];
    total.call_seconds += b.call_seconds;
  }
  return { series, totals: finish(total) };
}

/** get_analytics: the account's (or one bot's) series over a range, in UTC buckets. */
export async function getAnalytics({ ctx, input }: { ctx: ServiceContext; input: AnalyticsQuery }) {
  const bot = input.bot_id ? await loadBot(ctx, input.bot_id) : null;
  const range = resolveRange(input);
  const scope: Q.Scope = { accountId: ctx.accountId, botIds: bot ? [bot.id] : ctx.key?.botIds?.length ? ctx.key.botIds : null };
  const { series, totals } = await computeAnalytics(ctx.db, scope, range);
  return { bot_id: bot?.id ?? null, from: range.from.toISOString(), to: range.to.toISOString(), interval: range.interval, series, totals };
}
