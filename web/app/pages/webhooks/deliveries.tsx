import { useState } from 'preact/hooks';
import { get, post } from '../../api';
import { usePagedList, type ApiPage } from '../../components/paged-list';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, TableHead, useAction, valueOf } from '../../components/ui';

interface Delivery {
  delivery_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'failed' | 'succeeded' | 'dead';
  attempt_count: number;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

const BADGE: Record<Delivery['status'], string> = { succeeded: 'ok', failed: 'bad', dead: 'bad', pending: '' };

/** One endpoint's deliveries (get_webhook_deliveries), filterable by status, each retryable. */
export function Deliveries({ webhookId }: { webhookId: string }) {
  const [status, setStatus] = useState('');
  const list = usePagedList((cursor) => get<ApiPage<Delivery>>('/get_webhook_deliveries', { webhook_id: webhookId, status: status || undefined, limit: 20, cursor }), [webhookId, status]);
  const rows = list.rows;
  const retry = useAction(async (id: string) => {
    const d = await post<Delivery>('/retry_webhook_delivery', { delivery_id: id });
    list.update((r) => r.map((x) => (x.delivery_id === id ? d : x)));
  });

  return (
    <div class="deliveries">
      <div class="card inline">
        <Field label="Delivery status">
          <select value={status} onChange={(e) => setStatus(valueOf(e))}>
            <option value="">All</option>
            <option value="pending">Pending</option>
            <option value="failed">Failed (retry scheduled)</option>
            <option value="succeeded">Succeeded</option>
            <option value="dead">Dead (no more retries)</option>
          </select>
        </Field>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      {list.loading && !rows.length ? <Loading what="Loading deliveries" /> : <ErrorBanner error={list.error} />}
      <ErrorBanner error={retry.error} />
      {!list.loading && !list.error && !rows.length && <p class="muted">No deliveries{status ? ` with status ${status}` : ''} yet.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="responsive">
            <TableHead columns={['Event', 'Status', 'Last answer', 'Latency', 'Attempts', 'Next retry', { hidden: 'Actions' }]} />
            <tbody>
              {rows.map((d) => (
                <tr key={d.delivery_id}>
                  <td>
                    {d.event_type}
                    <br />
                    <span class="muted">{formatTime(d.created_at)}</span>
                  </td>
                  <td>
                    <span class={`badge ${BADGE[d.status]}`}>{d.status}</span>
                  </td>
                  <td>{d.last_status_code !== null ? `HTTP ${d.last_status_code}` : (d.last_error ?? '—')}</td>
                  <td>{d.last_latency_ms !== null ? `${d.last_latency_ms} ms` : '—'}</td>
                  <td>{d.attempt_count}</td>
                  <td>{d.next_attempt_at ? formatTime(d.next_attempt_at) : '—'}</td>
                  <td>
                    <button type="button" disabled={retry.busy} onClick={() => void retry.run(d.delivery_id)} aria-label={`Retry ${d.event_type} delivery ${d.delivery_id}`}>
                      Retry now
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
    </div>
  );
}
