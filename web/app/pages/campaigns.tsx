import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../api';
import { ErrorBanner, Field, Loading, MoreButton, Page, useAction, useApi, valueOf } from '../components/ui';
import { CampaignCard } from './campaigns/campaign-card';
import { Compose, type SendResult } from './campaigns/compose';
import { isActive, STATUSES, type Campaign, type CampaignStatus } from './campaigns/types';

const POLL_MS = 2000;
const PAGE_SIZE = 20;
type CampaignPage = { data: Campaign[]; next_cursor: string | null };

/** Bulk SMS campaigns: compose one (with the audience counted before it goes), list them newest first, follow progress, cancel. */
export default function CampaignsPage() {
  const bots = useApi(() => get<{ data: Array<{ bot_id: string; name: string }> }>('/get_bots_with_names', { limit: 200 }), []);
  const [botFilter, setBotFilter] = useState('');
  const [status, setStatus] = useState<CampaignStatus | ''>('');
  const [list, setList] = useState<Campaign[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [sent, setSent] = useState<SendResult | null>(null);
  const query = { bot_id: botFilter || undefined, status: status || undefined, limit: PAGE_SIZE };
  const first = useApi(() => get<CampaignPage>('/get_bulk_campaigns', query), [botFilter, status]);
  // Pages loaded with "Load more" belong to the filters they were asked with; a change of filters drops them.
  const generation = useRef(0);
  useEffect(() => {
    generation.current++;
    setList(first.data?.data ?? []);
    setCursor(first.data?.next_cursor ?? null);
  }, [first.data]);
  const more = useAction(async () => {
    const asked = generation.current;
    const p = await get<CampaignPage>('/get_bulk_campaigns', { ...query, cursor: cursor ?? undefined });
    if (asked !== generation.current) return;
    setList((l) => [...l, ...p.data.filter((c) => !l.some((x) => x.campaign_id === c.campaign_id))]);
    setCursor(p.next_cursor);
  });
  const replace = (c: Campaign) => setList((l) => l.map((x) => (x.campaign_id === c.campaign_id ? c : x)));
  const cancel = useAction(async (id: string) => replace(await post<Campaign>('/cancel_bulk_campaign', { campaign_id: id })));

  // Follow campaigns that are going out; scheduled ones change only when their time comes.
  const moving = list.filter((c) => c.status === 'queued' || c.status === 'sending').map((c) => c.campaign_id);
  useEffect(() => {
    if (!moving.length) return;
    const t = setTimeout(() => {
      void Promise.all(moving.map((id) => get<Campaign>('/get_bulk_campaign', { campaign_id: id }).then(replace, () => undefined)));
    }, POLL_MS);
    return () => clearTimeout(t);
  }, [list]);

  const botName = (id: string) => bots.data?.data.find((b) => b.bot_id === id)?.name ?? id;
  return (
    <Page title="Campaigns">
      <ErrorBanner error={bots.error} />
      <Compose
        bots={bots.data?.data ?? []}
        onSent={(r) => {
          setSent(r);
          // The newest campaign heads the first page (when it passes the filters).
          first.reload();
        }}
      />
      <div role="status">
        {sent && (
          <p class="notice">
            Campaign {sent.status === 'scheduled' ? 'scheduled' : 'queued'}: {sent.recipients} recipient{sent.recipients === 1 ? '' : 's'} in the audience
            {sent.unmatched_user_ids ? `, ${sent.unmatched_user_ids} user ids matched nobody` : ''}.
          </p>
        )}
      </div>
      <h2>Campaigns</h2>
      <form class="card inline" aria-label="Filter campaigns" onSubmit={(e) => e.preventDefault()}>
        <Field label="Sent by">
          <select value={botFilter} onChange={(e) => setBotFilter(valueOf(e))}>
            <option value="">Any bot</option>
            {bots.data?.data.map((b) => (
              <option key={b.bot_id} value={b.bot_id}>
                {b.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select value={status} onChange={(e) => setStatus(valueOf(e) as CampaignStatus | '')}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
      </form>
      {first.loading && !list.length ? <Loading what="Loading campaigns" /> : <ErrorBanner error={first.error} />}
      <ErrorBanner error={cancel.error} />
      {!first.loading && !first.error && !list.length && <p class="muted">{botFilter || status ? 'No campaigns match these filters.' : 'No campaigns yet.'}</p>}
      <ul class="plain">
        {list.map((c) => (
          <CampaignCard key={c.campaign_id} c={c} botName={botName(c.bot_id)} busy={cancel.busy && isActive(c)} onCancel={() => void cancel.run(c.campaign_id)} />
        ))}
      </ul>
      <MoreButton hasMore={!!cursor} onMore={() => void more.run()} busy={more.busy} />
      <ErrorBanner error={more.error} />
    </Page>
  );
}
