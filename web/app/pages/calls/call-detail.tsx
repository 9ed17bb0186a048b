import { get, post } from '../../api';
import { ErrorBanner, formatTime, Loading, TableHead, useAction, useApi } from '../../components/ui';
import { StatusBadge } from './call-status';

interface Turn {
  turn_id: string;
  role: 'caller' | 'bot' | 'operator';
  kind: string;
  text: string;
  at: string;
  latency_ms: number | null;
  engine_ms: number | null;
}

export interface CallView {
  call_id: string;
  bot_id: string;
  user_id: string | null;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  status: string;
  result: string | null;
  reason: string | null;
  purpose: string | null;
  provider: string;
  answered_by: string | null;
  transfer: { to: string; at: string } | null;
  recording_url: string | null;
  duration_seconds: number | null;
  cost: number | null;
  currency: string | null;
  error: string | null;
  created_at: string;
  answered_at: string | null;
  ended_at: string | null;
}

interface CallDetailData extends CallView {
  transcript: Turn[];
  latency: { turns: number; p50_ms: number | null; max_ms: number | null };
}

export const LIVE = new Set(['queued', 'ringing', 'in_progress']);
const WHO = { caller: 'Caller', bot: 'Bot', operator: 'Operator' } as const;

/** The dashboard loads nothing from another host (its CSP and its promise): only a same-host recording is a link. */
function sameHost(url: string): boolean {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

const ms = (v: number | null) => (v === null ? '—' : `${v} ms`);

/** One call: what was said, by whom, how fast the server answered, and its recording. */
export function CallDetail({ callId, onChanged }: { callId: string; onChanged: () => void }) {
  const call = useApi(() => get<CallDetailData>('/get_call', { call_id: callId }), [callId]);
  const end = useAction(async () => {
    await post('/end_call', { call_id: callId });
    call.reload();
    onChanged();
  });
  if (call.loading && !call.data) return <Loading what="Loading the call" />;
  if (call.error) return <ErrorBanner error={call.error} />;
  const c = call.data;
  if (!c) return null;
  return (
    <section class="card" aria-labelledby="call-title">
      <div class="page-head">
        <h2 id="call-title">
          Call {c.from} → {c.to}
        </h2>
        <div class="actions">
          <button type="button" onClick={call.reload} disabled={call.loading}>
            Refresh call
          </button>
          {LIVE.has(c.status) && (
            <button type="button" class="danger" onClick={() => void end.run()} disabled={end.busy}>
              {end.busy ? 'Ending…' : 'End call'}
            </button>
          )}
        </div>
      </div>
      <ErrorBanner error={end.error} />
      <dl class="inbox-facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={c.status} /> {[c.result, c.reason].filter(Boolean).join(' · ')}
        </dd>
        <dt>Direction</dt>
        <dd>
          {c.direction} via {c.provider}
          {c.answered_by ? ` · answered by ${c.answered_by}` : ''}
        </dd>
        <dt>User</dt>
        <dd>{c.user_id ?? '—'}</dd>
        {c.purpose && (
          <>
            <dt>Purpose</dt>
            <dd>{c.purpose}</dd>
          </>
        )}
        <dt>Started</dt>
        <dd>{formatTime(c.created_at)}</dd>
        <dt>Duration</dt>
        <dd>{c.duration_seconds === null ? '—' : `${c.duration_seconds} s`}</dd>
        {c.cost !== null && (
          <>
            <dt>Cost</dt>
            <dd>
              {c.cost} {c.currency ?? ''}
            </dd>
          </>
        )}
        {c.transfer && (
          <>
            <dt>Transferred</dt>
            <dd>
              to {c.transfer.to} at {formatTime(c.transfer.at)}
            </dd>
          </>
        )}
        {c.error && (
          <>
            <dt>Error</dt>
            <dd class="error-text">{c.error}</dd>
          </>
        )}
        <dt>Recording</dt>
        <dd>
          {!c.recording_url ? (
            '—'
          ) : sameHost(c.recording_url) ? (
            <a href={c.recording_url}>Recording</a>
          ) : (
            <>
              <code>{c.recording_url}</code> <span class="muted">(on another host; not opened from the dashboard)</span>
            </>
          )}
        </dd>
        <dt>Server latency</dt>
        <dd>
          {c.latency.turns} bot turns · p50 {ms(c.latency.p50_ms)} · max {ms(c.latency.max_ms)}
        </dd>
      </dl>
      <h3>Transcript</h3>
      {c.transcript.length === 0 ? (
        <p class="muted">Nothing was said yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive call-transcript">
            <TableHead columns={['Who', 'Kind', 'Text', 'Time', 'Latency']} />
            <tbody>
              {c.transcript.map((t) => (
                <tr key={t.turn_id} class={`turn-${t.role}`}>
                  <td>
                    <strong>{WHO[t.role]}</strong>
                  </td>
                  <td>{t.kind}</td>
                  <td class="sms-body">{t.text}</td>
                  <td>
                    <time dateTime={t.at}>{formatTime(t.at)}</time>
                  </td>
                  <td>
                    {t.latency_ms === null ? (
                      '—'
                    ) : (
                      <>
                        {t.latency_ms} ms server
                        {t.engine_ms !== null && (
                          <span class="muted">
                            {' '}
                            · engine {t.engine_ms} ms ({t.latency_ms > 0 ? Math.round((t.engine_ms / t.latency_ms) * 100) : 0}%)
                          </span>
                        )}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
