import { useState } from 'preact/hooks';
import { get, getSession } from '../api';
import { usePagedList, type ApiPage } from '../components/paged-list';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, Page, TableHead, valueOf } from '../components/ui';

interface Log {
  log_id: string;
  action: string;
  actor: { type: 'key' | 'session' | 'anonymous' | 'system'; id: string | null };
  object_type: string | null;
  object_id: string | null;
  details: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  created_at: string;
}
interface Filters {
  action: string;
  actor: string;
  object_type: string;
  object_id: string;
  since: string;
  until: string;
}
const EMPTY: Filters = { action: '', actor: '', object_type: '', object_id: '', since: '', until: '' };

/** The filters as get_activity_logs takes them (dates are whole UTC days; `until` is exclusive, so the day after). */
function query(f: Filters) {
  return {
    action: f.action.trim() || undefined,
    actor: f.actor.trim() || undefined,
    object_type: f.object_type.trim() || undefined,
    object_id: f.object_id.trim() || undefined,
    since: f.since ? `${f.since}T00:00:00Z` : undefined,
    until: f.until ? new Date(Date.parse(`${f.until}T00:00:00Z`) + 86_400_000).toISOString() : undefined,
    limit: 50,
  };
}

const details = (d: Log['details']) =>
  d
    ? Object.entries(d)
        .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(', ')
    : '';

/** The account's audit log: who did what to which object, when and from where. */
export default function ActivityPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const list = usePagedList((cursor) => get<ApiPage<Log>>('/get_activity_logs', { ...query(filters), cursor }), [filters]);
  const rows = list.rows;
  const me = getSession()?.key_id;
  const actor = (a: Log['actor']) => (a.id && a.id === me ? 'you (this session)' : a.id ? `${a.type} ${a.id}` : a.type);
  const set = (k: keyof Filters) => (e: Parameters<typeof valueOf>[0]) => setDraft({ ...draft, [k]: valueOf(e) });

  return (
    <Page title="Activity">
      <form
        class="card inline"
        aria-label="Filter the activity log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...draft });
        }}
      >
        <Field label="Action starts with">
          <input value={draft.action} placeholder="api_key. or bot.created" onInput={set('action')} />
        </Field>
        <Field label="Actor" hint="A key id, system or anonymous">
          <input value={draft.actor} onInput={set('actor')} />
        </Field>
        <Field label="Object type">
          <input value={draft.object_type} placeholder="bot" onInput={set('object_type')} />
        </Field>
        <Field label="Object id">
          <input value={draft.object_id} onInput={set('object_id')} />
        </Field>
        <Field label="Since">
          <input type="date" value={draft.since} onInput={set('since')} />
        </Field>
        <Field label="Until (inclusive)">
          <input type="date" value={draft.until} onInput={set('until')} />
        </Field>
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {list.loading && !rows.length ? <Loading what="Loading activity" /> : <ErrorBanner error={list.error} />}
      {!list.loading && !list.error && !rows.length && <p class="muted">Nothing matches these filters.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="responsive">
            <caption class="visually-hidden">Activity, newest first</caption>
            <TableHead columns={['Time', 'Actor', 'Action', 'Object', 'Details', 'From']} />
            <tbody>
              {rows.map((r) => (
                <tr key={r.log_id}>
                  <td>{formatTime(r.created_at)}</td>
                  <td class="wrap">{actor(r.actor)}</td>
                  <td class="nowrap">
                    <code>{r.action}</code>
                  </td>
                  <td class="wrap">{r.object_type ? `${r.object_type} ${r.object_id ?? ''}` : '—'}</td>
                  <td class="wrap muted">{details(r.details)}</td>
                  <td>{r.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
      <ErrorBanner error={list.moreError} />
    </Page>
  );
}
