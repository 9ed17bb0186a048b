import { useState } from 'preact/hooks';
import { get } from '../api';
import { BotSelect, useBotNames } from '../components/bot-select';
import { Chart } from '../components/chart';
import { ErrorBanner, Field, Loading, Page, useApi, valueOf } from '../components/ui';
import { bucketLabel, preset, toQuery, type Interval } from './analytics/range';

interface Counters {
  messages_in: number;
  messages_out: number;
  messages_by_channel: { api: number; sms: number; voice: number };
  active_users: number;
  new_users: number;
  conversations: number;
  reply_latency_p50_ms: number | null;
  reply_latency_p95_ms: number | null;
  tokens_in: number;
  tokens_out: number;
  model_calls: number;
  feedback_up: number;
  feedback_down: number;
  retrained_hits: number;
  takeovers: number;
  calls: number;
  call_minutes: number;
  sms_segments: number;
  opt_outs: number;
}
interface Result {
  from: string;
  to: string;
  interval: Interval;
  series: Array<Counters & { t: string }>;
  totals: Counters;
}

const PRESETS = [7, 30, 90];
const ms = (v: number | null) => (v === null ? 'no replies' : `${Math.round(v)} ms`);

/** get_analytics as charts: a range (presets or dates), a bucket size, one bot or all. */
export default function AnalyticsPage() {
  const [range, setRange] = useState(() => preset(30));
  const [interval, setBucket] = useState<Interval>('day');
  const [botId, setBotId] = useState('');
  const bots = useBotNames();
  const res = useApi(
    () => get<Result>('/get_analytics', { ...toQuery(range.from, range.to), interval, bot_id: botId || undefined }),
    [range.from, range.to, interval, botId],
  );

  return (
    <Page title="Analytics">
      <form class="card inline" aria-label="Range" onSubmit={(e) => e.preventDefault()}>
        <div class="actions" role="group" aria-label="Presets">
          {PRESETS.map((d) => {
            const p = preset(d);
            const on = p.from === range.from && p.to === range.to;
            return (
              <button key={d} type="button" aria-pressed={on} class={on ? 'primary' : ''} onClick={() => setRange(p)}>
                Last {d} days
              </button>
            );
          })}
        </div>
        <Field label="From">
          <input type="date" value={range.from} max={range.to} onChange={(e) => valueOf(e) && setRange({ ...range, from: valueOf(e) })} />
        </Field>
        <Field label="To">
          <input type="date" value={range.to} min={range.from} onChange={(e) => valueOf(e) && setRange({ ...range, to: valueOf(e) })} />
        </Field>
        <Field label="Granularity">
          <select value={interval} onChange={(e) => setBucket(valueOf(e) as Interval)}>
            <option value="hour">Hour (up to 14 days)</option>
            <option value="day">Day</option>
            <option value="week">Week</option>
          </select>
        </Field>
        <BotSelect label="Bot" bots={bots.data} value={botId} onChange={setBotId} anyLabel="All bots" />
      </form>
      <ErrorBanner error={res.error ?? bots.error} />
      {res.loading && !res.data ? <Loading what="Loading analytics" /> : res.data && <Report data={res.data} />}
    </Page>
  );
}

function Report({ data }: { data: Result }) {
  const t = data.totals;
  const labels = data.series.map((b) => bucketLabel(b.t, data.interval));
  const col = (f: (b: Counters) => number | null) => data.series.map(f);
  const quiet = t.messages_in + t.messages_out + t.calls + t.new_users + t.feedback_up + t.feedback_down === 0;
  const kpis: Array<[string, string]> = [
    ['Messages in', String(t.messages_in)],
    ['Messages out', String(t.messages_out)],
    ['Conversations', String(t.conversations)],
    ['Active users', String(t.active_users)],
    ['New users', String(t.new_users)],
    ['Reply p50 / p95', `${ms(t.reply_latency_p50_ms)} / ${ms(t.reply_latency_p95_ms)}`],
    ['Tokens in / out', `${t.tokens_in} / ${t.tokens_out}`],
    ['Retrained answers', String(t.retrained_hits)],
    ['Takeovers', String(t.takeovers)],
    ['Calls', `${t.calls} (${Number(t.call_minutes.toFixed(1))} min)`],
    ['SMS segments', String(t.sms_segments)],
    ['Opt-outs', String(t.opt_outs)],
  ];
  return (
    <>
      <p class="muted">
        {new Date(data.from).toUTCString().slice(5, 16)} – {new Date(Date.parse(data.to) - 1).toUTCString().slice(5, 16)} (UTC), by {data.interval}
      </p>
      <dl class="kpis">
        {kpis.map(([k, v]) => (
          <div key={k} class="card">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {quiet ? (
        <p class="notice" role="status">
          Nothing happened in this range: no messages, calls, new users or feedback. Try a longer range or another bot.
        </p>
      ) : (
        <div class="charts">
          <Chart
            title="Messages by channel"
            kind="bar"
            labels={labels}
            series={[
              { name: 'API', values: col((b) => b.messages_by_channel.api) },
              { name: 'SMS', values: col((b) => b.messages_by_channel.sms) },
              { name: 'Voice', values: col((b) => b.messages_by_channel.voice) },
            ]}
          />
          <Chart
            title="Messages in and out"
            labels={labels}
            series={[
              { name: 'In', values: col((b) => b.messages_in) },
              { name: 'Out', values: col((b) => b.messages_out) },
            ]}
          />
          <Chart
            title="Users"
            labels={labels}
            series={[
              // Active users of the range are counted once each, not summed over buckets.
              { name: 'Active', values: col((b) => b.active_users), total: `${t.active_users} distinct` },
              { name: 'New', values: col((b) => b.new_users) },
            ]}
          />
          <Chart
            title="Reply latency"
            unit="ms"
            labels={labels}
            series={[
              { name: 'p50', values: col((b) => b.reply_latency_p50_ms), total: `${ms(t.reply_latency_p50_ms)} over the range` },
              { name: 'p95', values: col((b) => b.reply_latency_p95_ms), total: `${ms(t.reply_latency_p95_ms)} over the range` },
            ]}
          />
          <Chart
            title="Feedback"
            kind="bar"
            labels={labels}
            series={[
              { name: 'Thumbs up', values: col((b) => b.feedback_up) },
              { name: 'Thumbs down', values: col((b) => b.feedback_down) },
            ]}
          />
          <Chart
            title="Calls"
            kind="bar"
            labels={labels}
            series={[
              { name: 'Calls', values: col((b) => b.calls) },
              { name: 'Minutes', values: col((b) => b.call_minutes) },
            ]}
          />
        </div>
      )}
    </>
  );
}
