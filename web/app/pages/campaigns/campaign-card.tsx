import { ConfirmButton } from '../../components/confirm-button';
import { formatTime, Progress } from '../../components/ui';
import { doneShare, isActive, skippedTotal, type Campaign } from './types';

const BADGE: Record<Campaign['status'], string> = { scheduled: '', queued: '', sending: '', completed: 'ok', canceled: 'bad' };

function audienceText(a: Record<string, unknown>): string {
  if (a.all) return 'all end users';
  if (Array.isArray(a.tags)) return `tagged ${a.tags.join(', ')}`;
  if (typeof a.user_ids === 'number') return `${a.user_ids} chosen user ids`;
  return JSON.stringify(a);
}

/** One campaign: status, audience size, progress and counts by outcome, and cancel while it is active. */
export function CampaignCard({ c, botName, onCancel, busy }: { c: Campaign; botName: string; onCancel: () => void; busy: boolean }) {
  const n = c.counts;
  const done = Math.round(doneShare(c) * n.total);
  const skipped = Object.entries(n.skipped).filter(([, v]) => v > 0);
  return (
    <li class="card campaign" aria-label={`Campaign ${c.campaign_id}`}>
      <p class="campaign-head">
        <span class={`badge ${BADGE[c.status]}`}>{c.status}</span> <strong>{botName}</strong> <span class="muted">· SMS to {audienceText(c.audience)}</span>
      </p>
      <p class="msg-preview">{c.message}</p>
      <p class="muted">
        Audience: {n.total} recipient{n.total === 1 ? '' : 's'} · created {formatTime(c.created_at)}
        {c.status === 'scheduled' && c.schedule_at ? ` · sends ${formatTime(c.schedule_at)}` : ''}
        {c.completed_at ? ` · completed ${formatTime(c.completed_at)}` : ''}
        {c.canceled_at ? ` · canceled ${formatTime(c.canceled_at)}` : ''}
      </p>
      {c.status !== 'scheduled' && (
        <>
          {c.status !== 'canceled' && <Progress value={doneShare(c)} label={`Campaign ${c.campaign_id}: ${done} of ${n.total} done`} />}
          <p class="muted">
            {done} of {n.total} done: {n.sent} sent ({n.delivered} delivered), {n.failed} failed, {skippedTotal(c)} skipped
            {skipped.length ? ` (${skipped.map(([k, v]) => `${v} ${k.replace('_', ' ')}`).join(', ')})` : ''}, {n.canceled} canceled
            {n.deferred ? ` · ${n.deferred} waiting for quiet hours to end${c.next_send_at ? ` (next ${formatTime(c.next_send_at)})` : ''}` : ''}
          </p>
        </>
      )}
      {isActive(c) && (
        <ConfirmButton
          label="Cancel campaign"
          question="Cancel it? Messages not sent yet are dropped; sent ones stay sent."
          confirmLabel="Yes, cancel campaign"
          busy={busy}
          onConfirm={onCancel}
        />
      )}
    </li>
  );
}
