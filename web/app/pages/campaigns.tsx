import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api';
import { botLabel, BotSelect, useBotNames } from '../components/bot-select';
import { usePagedList, type ApiPage } from '../components/paged-list';
import { ErrorBanner, Field, Loading, MoreButton, Page, useAction, valueOf } from '../components/ui';
import { CampaignCard } from './campaigns/campaign-card';
import { Compose, type SendResult } from './campaigns/compose';
import { isActive, STATUSES, type Campaign, type CampaignStatus } from './campaigns/types';

const POLL_MS = 2000;
const PAGE_SIZE = 20;

/** Bulk SMS campaigns: compose one (with the audience counted before it goes), list them newest first, follow progress, cancel. */
export default function CampaignsPage() {
  const bots = useBotNames();
  const [botFilter, setBotFilter] = useState('');
  const [status, setStatus] = useState<CampaignStatus | ''>('');
  const [sent, setSent] = useState<SendResult | null>(null);
  // Rows are keyed by campaign id: `idOf` keeps one from showing twice when pages overlap.
  const first = usePagedList(
    (cursor) => get<ApiPage<Campaign>>('/get_bulk_campaigns', { bot_id: botFilter || undefined, status: status || undefined, limit: PAGE_SIZE, cursor }),
    [botFilter, status],
    (c) => c.campaign_id,
  );
  const list = first.rows;
  const replace = (c: Campaign) => first.update((l) => l.map((x) => (x.campaign_id === c.campaign_id ? c : x)));
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

  return (
    <Page title="Campaigns">
      <ErrorBanner error={bots.error} />
      <Compose
        bots={bots.data ?? []}
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
        <BotSelect label="Sent by" bots={bots.data} value={botFilter} onChange={setBotFilter} anyLabel="Any bot" />
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
          <CampaignCard key={c.campaign_id} c={c} botName={botLabel(bots.data, c.bot_id)} busy={cancel.busy && isActive(c)} onCancel={() => void cancel.run(c.campaign_id)} />
        ))}
      </ul>
      <MoreButton hasMore={first.hasMore} onMore={() => void first.more()} busy={first.moreBusy} />
      <ErrorBanner error={first.moreError} />
    </Page>
  );
}
