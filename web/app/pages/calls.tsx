import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api';
import { botLabel, BotSelect, useBotNames } from '../components/bot-select';
import { usePagedList, type ApiPage } from '../components/paged-list';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, Page, TableHead, valueOf } from '../components/ui';
import { CallDetail, type CallView } from './calls/call-detail';
import { StatusBadge } from './calls/call-status';
import { PlaceCall } from './calls/place-call';

const STATUSES = ['queued', 'ringing', 'in_progress', 'completed', 'busy', 'no_answer', 'failed', 'canceled', 'rejected'];

/** Calls: the list, one call's transcript and latency, a test-call command and real outbound calls. */
export default function CallsPage() {
  const bots = useBotNames();
  const [botFilter, setBotFilter] = useState('');
  const [status, setStatus] = useState('');
  const [openId, setOpenId] = useState<string | null>(null);
  const [callBot, setCallBot] = useState('');
  useEffect(() => {
    if (!callBot && bots.data?.[0]) setCallBot(bots.data[0].bot_id);
  }, [bots.data]);
  const list = usePagedList(
    (cursor) => get<ApiPage<CallView>>('/get_calls', { limit: 30, ...(botFilter ? { bot_id: botFilter } : {}), ...(status ? { status } : {}), cursor }),
    [botFilter, status],
  );
  const rows = list.rows;
  const detail = useRef<HTMLDivElement>(null);
  const open = (id: string) => {
    setOpenId(id);
    requestAnimationFrame(() => detail.current?.scrollIntoView({ block: 'start' }));
  };

  return (
    <Page title="Calls">
      <section class="card" aria-labelledby="test-call-title">
        <h2 id="test-call-title">Place a test call</h2>
        <PlaceCall
          bots={bots.data}
          botId={callBot}
          setBotId={setCallBot}
          onPlaced={(id) => {
            list.reload();
            open(id);
          }}
        />
      </section>
      <section class="card" aria-labelledby="calls-title">
        <div class="page-head">
          <h2 id="calls-title">Calls</h2>
          <button type="button" onClick={list.reload}>
            Refresh calls
          </button>
        </div>
        <div class="card inline">
          <BotSelect label="Filter by bot" bots={bots.data} value={botFilter} onChange={setBotFilter} anyLabel="All bots" />
          <Field label="Status">
            <select value={status} onChange={(e) => setStatus(valueOf(e))}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.replace('_', ' ')}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {list.loading && !rows.length ? <Loading what="Loading calls" /> : <ErrorBanner error={list.error} />}
        {!list.loading && !list.error && !rows.length && <p class="muted">No calls yet.</p>}
        {rows.length > 0 && (
          <div class="table-wrap">
            <table class="responsive">
              <TableHead columns={['Started', 'Bot', 'From → to', 'Status', 'Duration', 'Open']} />
              <tbody>
                {rows.map((c) => (
                  <tr key={c.call_id} aria-current={c.call_id === openId ? 'true' : undefined}>
                    <td>{formatTime(c.created_at)}</td>
                    <td>{botLabel(bots.data, c.bot_id)}</td>
                    <td>
                      {c.direction === 'inbound' ? 'In' : 'Out'}: {c.from} → {c.to}
                    </td>
                    <td>
                      <StatusBadge status={c.status} />
                    </td>
                    <td>{c.duration_seconds === null ? '—' : `${c.duration_seconds} s`}</td>
                    <td>
                      <button type="button" aria-label={`Open call ${c.from} → ${c.to}, ${formatTime(c.created_at)}`} onClick={() => open(c.call_id)}>
                        Open
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
        <ErrorBanner error={list.moreError} />
      </section>
      <div ref={detail}>{openId && <CallDetail key={openId} callId={openId} onChanged={list.reload} />}</div>
    </Page>
  );
}
