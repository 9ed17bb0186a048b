import { useState } from 'preact/hooks';
import { post } from '../../api';
import { ErrorBanner, Field, formatTime, submitting, TableHead, useAction, valueOf } from '../../components/ui';
import { StatusBadge, useSources, type FeedRow } from './sources';

/** CSV or JSON feeds: rows become passages, refreshed on a schedule. */
export function Feeds({ botId }: { botId: string }) {
  const feeds = useSources<FeedRow>('/get_feeds', botId);
  const [url, setUrl] = useState('');
  const [minutes, setMinutes] = useState('60');
  const add = useAction(async () => {
    await post('/add_feed', { bot_id: botId, url: url.trim(), refresh_minutes: Number(minutes) });
    setUrl('');
    await feeds.reload();
  });
  const act = useAction(async (path: string, body: Record<string, string>) => {
    await post(path, { bot_id: botId, ...body });
    await feeds.reload();
  });
  return (
    <section class="card" aria-labelledby="feeds-heading">
      <h2 id="feeds-heading">Feeds</h2>
      <form
        class="inline-form"
        noValidate
        onSubmit={submitting(() => add.run())}
      >
        <Field label="Feed URL (CSV or JSON)">
          <input inputMode="url" value={url} onInput={(e) => setUrl(valueOf(e))} placeholder="https://" />
        </Field>
        <Field label="Refresh every (minutes)">
          <input inputMode="numeric" value={minutes} onInput={(e) => setMinutes(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={add.busy || !url.trim()}>
          Add feed
        </button>
      </form>
      <ErrorBanner error={add.error} />
      <ErrorBanner error={act.error} />
      <ErrorBanner error={feeds.error} />
      {feeds.items && feeds.items.length === 0 && <p class="muted">No feeds.</p>}
      {feeds.items && feeds.items.length > 0 && (
        <div class="table-wrap">
          <table class="responsive" aria-label="Feeds">
            <TableHead columns={['URL', 'Status', 'Rows', 'Refreshed', 'Actions']} />
            <tbody>
              {feeds.items.map((f) => (
                <tr key={f.feed_id}>
                  <td class="wrap">{f.url}</td>
                  <td>
                    <StatusBadge status={f.status} error={f.error} />
                  </td>
                  <td>{f.rows ?? '—'}</td>
                  <td>
                    {formatTime(f.last_refreshed_at)} <span class="muted">every {f.refresh_minutes ?? '?'} min</span>
                  </td>
                  <td>
                    <button type="button" disabled={act.busy} aria-label={`Refresh feed ${f.url}`} onClick={() => void act.run('/refresh_source', { source_id: f.feed_id })}>
                      Refresh
                    </button>{' '}
                    <button type="button" class="danger" disabled={act.busy} aria-label={`Delete feed ${f.url}`} onClick={() => void act.run('/delete_feed', { feed_id: f.feed_id })}>
                      Delete
                    </button>
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
