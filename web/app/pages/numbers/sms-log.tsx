import { useEffect, useState } from 'preact/hooks';
import { get } from '../../api';
import { BotSelect, type BotName } from '../../components/bot-select';
import { usePagedList, type ApiPage } from '../../components/paged-list';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, TableHead, valueOf } from '../../components/ui';

interface Sms {
  sms_id: string;
  user_id: string | null;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  body: string;
  status: string;
  segments: number;
  provider: string;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
}

const STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'receiving', 'received'];
const GOOD = new Set(['delivered', 'received']);
const BAD = new Set(['undelivered', 'failed', 'canceled']);

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${GOOD.has(status) ? 'ok' : BAD.has(status) ? 'bad' : ''}`}>{status}</span>;
}

/** A bot's texts, both directions, with delivery status (get_sms_messages needs a bot). */
export function SmsLog({ bots }: { bots: BotName[] | null }) {
  const [botId, setBotId] = useState('');
  useEffect(() => {
    if (!botId && bots?.[0]) setBotId(bots[0].bot_id);
  }, [bots]);
  const [status, setStatus] = useState('');
  const [direction, setDirection] = useState('');
  const list = usePagedList(
    async (cursor) =>
      botId ? get<ApiPage<Sms>>('/get_sms_messages', { bot_id: botId, limit: 50, ...(status ? { status } : {}), ...(direction ? { direction } : {}), cursor }) : { data: [], next_cursor: null },
    [botId, status, direction],
  );
  const rows = list.rows;
  return (
    <section class="card" aria-labelledby="sms-title">
      <div class="page-head">
        <h2 id="sms-title">SMS log</h2>
        <button type="button" onClick={list.reload} disabled={!botId}>
          Refresh log
        </button>
      </div>
      <div class="card inline">
        <BotSelect label="Bot" bots={bots} value={botId} onChange={setBotId} />
        <Field label="Delivery status">
          <select value={status} onChange={(e) => setStatus(valueOf(e))}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Direction">
          <select value={direction} onChange={(e) => setDirection(valueOf(e))}>
            <option value="">Both</option>
            <option value="inbound">Received</option>
            <option value="outbound">Sent</option>
          </select>
        </Field>
      </div>
      {!botId && <p class="muted">Create a bot to see its texts.</p>}
      {botId && list.loading && !rows.length ? <Loading what="Loading texts" /> : <ErrorBanner error={list.error} />}
      {botId && !list.loading && !list.error && !rows.length && <p class="muted">No texts yet.</p>}
      {botId && rows.length > 0 && (
        <div class="table-wrap">
          <table class="responsive sms-log">
            <TableHead columns={['Time', 'Direction', 'From → to', 'Text', 'Status', 'Parts']} />
            <tbody>
              {rows.map((s) => (
                <tr key={s.sms_id}>
                  <td>{formatTime(s.created_at)}</td>
                  <td>{s.direction === 'inbound' ? 'Received' : 'Sent'}</td>
                  <td>
                    {s.from} → {s.to}
                  </td>
                  <td class="sms-body">{s.body}</td>
                  <td>
                    <StatusBadge status={s.status} />
                    {(s.error_code || s.error_message) && (
                      <div class="error-text">
                        {s.error_code}
                        {s.error_message ? `: ${s.error_message}` : ''}
                      </div>
                    )}
                  </td>
                  <td>{s.segments === 1 ? '1 part' : `${s.segments} parts`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
      <ErrorBanner error={list.moreError} />
    </section>
  );
}
