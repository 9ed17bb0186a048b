import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from '../../api';
import { ErrorBanner, Field, formatTime, Progress, submitting, TableHead, useAction, valueOf } from '../../components/ui';
import { pending, StatusBadge, useSources, type PageRow } from './sources';

/** Polls that must pass with nothing new and nothing pending before a crawl counts as finished. */
const QUIET_POLLS = 6;
/** The same before a crawl that found nothing counts as finished: its first page can take a while (robots.txt, a slow site). */
const QUIET_POLLS_EMPTY = 20;
const MAX_WATCH_MS = 10 * 60 * 1000;

/**
 * Crawl a site. The API has no crawl status, only its pages as they are fetched, so the page list is
 * watched until it has been quiet (no new page, none pending) for a few polls.
 */
export function Website({ botId }: { botId: string }) {
  const [url, setUrl] = useState('');
  const [maxPages, setMaxPages] = useState('50');
  const [crawl, setCrawl] = useState<{ id: string; url: string; started: number } | null>(null);
  const [watching, setWatching] = useState(false);
  const pages = useSources<PageRow>('/get_pagenames', botId, watching);
  const quiet = useRef({ count: -1, polls: 0 });

  const mine = crawl ? (pages.items ?? []).filter((p) => p.crawl_id === crawl.id) : [];
  const done = mine.filter((p) => p.status === 'ready').length;
  const failed = mine.filter((p) => p.status === 'failed').length;
  useEffect(() => {
    if (!watching || !crawl) return;
    const q = quiet.current;
    if (mine.length !== q.count || mine.some(pending)) quiet.current = { count: mine.length, polls: 0 };
    else q.polls++;
    const enough = mine.length > 0 ? QUIET_POLLS : QUIET_POLLS_EMPTY;
    if (quiet.current.polls >= enough || Date.now() - crawl.started > MAX_WATCH_MS) setWatching(false);
  }, [pages.items]);

  const start = useAction(async () => {
    const res = await post<{ source_id: string }>('/scrape_website', { bot_id: botId, url: url.trim(), max_pages: Number(maxPages) || undefined });
    quiet.current = { count: -1, polls: 0 };
    setCrawl({ id: res.source_id, url: url.trim(), started: Date.now() });
    setWatching(true);
  });
  const remove = useAction(async (body: Record<string, string>) => {
    await post('/delete_page', { bot_id: botId, ...body });
    await pages.reload();
  });

  return (
    <section class="card" aria-labelledby="site-heading">
      <h2 id="site-heading">Website</h2>
      <form
        class="inline-form"
        noValidate
        onSubmit={submitting(() => start.run())}
      >
        <Field label="Website URL">
          <input inputMode="url" value={url} onInput={(e) => setUrl(valueOf(e))} placeholder="https://" />
        </Field>
        <Field label="Most pages">
          <input inputMode="numeric" value={maxPages} onInput={(e) => setMaxPages(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={start.busy || watching || !url.trim()}>
          Scrape website
        </button>
      </form>
      <ErrorBanner error={start.error} />
      {crawl && (
        <p role="status" class="crawl-status">
          {watching ? `Crawling ${crawl.url}… ` : `Crawl of ${crawl.url} finished: `}
          {mine.length} page{mine.length === 1 ? '' : 's'} found, {done} indexed{failed ? `, ${failed} failed` : ''}.
          {watching && (
            <>
              {' '}
              <button type="button" class="link" onClick={() => setWatching(false)}>
                Stop watching
              </button>
            </>
          )}
        </p>
      )}
      {watching && mine.length > 0 && <Progress value={(done + failed) / mine.length} label="Pages indexed so far" />}
      <ErrorBanner error={pages.error} />
      <ErrorBanner error={remove.error} />
      {pages.items && pages.items.length === 0 && !crawl && <p class="muted">No pages yet.</p>}
      {pages.items && pages.items.length > 0 && (
        <div class="table-wrap">
          <table class="responsive" aria-label="Pages">
            <TableHead columns={['Page', 'Status', 'Passages', 'Fetched', 'Actions']} />
            <tbody>
              {pages.items.map((p) => (
                <tr key={p.page_id}>
                  <td class="wrap">
                    {p.title ? <strong>{p.title} </strong> : null}
                    <span class="muted">{p.url}</span>
                  </td>
                  <td>
                    <StatusBadge status={p.status} error={p.error} />
                  </td>
                  <td>
                    {p.chunks} passage{p.chunks === 1 ? '' : 's'}
                  </td>
                  <td>{formatTime(p.fetched_at)}</td>
                  <td>
                    <button type="button" class="danger" disabled={remove.busy} aria-label={`Delete page ${p.url}`} onClick={() => void remove.run({ page_id: p.page_id })}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages.hasMore && <p class="muted">Showing the newest 200 pages.</p>}
    </section>
  );
}
