import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../../api';

export type SourceStatus = 'queued' | 'processing' | 'ready' | 'failed';
export const pending = (s: { status: SourceStatus }) => s.status === 'queued' || s.status === 'processing';

export interface FileRow {
  file_id: string;
  filename: string | null;
  url: string | null;
  bytes: number;
  status: SourceStatus;
  error: string | null;
  chunks: number;
  created_at: string;
}
export interface PageRow {
  page_id: string;
  crawl_id: string | null;
  url: string | null;
  title: string | null;
  status: SourceStatus;
  error: string | null;
  chunks: number;
  fetched_at: string | null;
}
export interface FeedRow {
  feed_id: string;
  url: string | null;
  refresh_minutes: number | null;
  rows: number | null;
  status: SourceStatus;
  error: string | null;
  last_refreshed_at: string | null;
  next_refresh_at: string | null;
}

const POLL_MS = 1500;

/**
 * A bot's sources of one kind. Ingestion runs in background jobs, so the list is read again every
 * 1.5 s while any source is still queued or processing, or while the caller is `watching` (a crawl
 * adds pages that do not exist yet).
 */
export function useSources<T extends { status: SourceStatus }>(path: string, botId: string, watching = false) {
  const [items, setItems] = useState<T[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const live = useRef(true);
  const readOnce = async () => {
    try {
      const res = await get<{ data: T[]; next_cursor: string | null }>(path, { bot_id: botId, limit: 200 });
      if (!live.current) return;
      setItems(res.data);
      setHasMore(!!res.next_cursor);
      setError(null);
    } catch (e) {
      if (live.current) setError(e);
    }
  };
  const read = useRef(readOnce);
  read.current = readOnce;
  const running = useRef<Promise<void> | null>(null);
  const again = useRef(false);
  // One read at a time. A poll skips while one runs; a reload (after a change the user made) waits for
  // it and reads once more, since the running read may have started before the change.
  const load = (queue: boolean): Promise<void> => {
    if (running.current) {
      if (queue) again.current = true;
      return running.current;
    }
    const run = (async () => {
      try {
        do {
          again.current = false;
          await read.current();
        } while (again.current && live.current);
      } finally {
        running.current = null;
      }
    })();
    running.current = run;
    return run;
  };
  useEffect(() => {
    live.current = true;
    void load(true);
    return () => {
      live.current = false;
    };
  }, [botId]);
  const busy = !!items?.some(pending);
  useEffect(() => {
    if (!busy && !watching) return;
    const t = setInterval(() => void load(false), POLL_MS);
    return () => clearInterval(t);
  }, [busy, watching, botId]);
  return { items, hasMore, error, reload: () => load(true), busy };
}

export function StatusBadge({ status, error }: { status: SourceStatus; error?: string | null }) {
  const cls = status === 'ready' ? 'ok' : status === 'failed' ? 'bad' : '';
  return (
    <>
      <span class={`badge ${cls}`}>{status}</span>
      {error && <span class="source-error"> {error}</span>}
    </>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
