import { sql, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { CampaignsTable, DB } from '../../db/schema.js';
import { SkipReason, type Counts } from './schemas.js';

type Q = Database | Transaction<DB>;
export type CampaignRow = Selectable<CampaignsTable>;

const emptyCounts = (): Counts => ({
  total: 0, pending: 0, deferred: 0, sending: 0, sent: 0, delivered: 0, failed: 0, canceled: 0,
  skipped: Object.fromEntries(SkipReason.options.map((r) => [r, 0])) as Counts['skipped'],
});

/**
 * The campaign's counts, derived from its recipients and the SMS each became (one grouped query over
 * the campaign's rows): nothing to keep in step, and a delivery report shows up as soon as it lands.
 * A message the send job refused at send time (a STOP or a block that came in meanwhile) is skipped.
 */
export async function campaignCounts(q: Q, campaignId: string, now: Date): Promise<Counts> {
  const rows = await q
    .selectFrom('campaign_recipients as r')
    .leftJoin('sms_messages as m', 'm.id', 'r.sms_message_id')
    .select([
      'r.state',
      'r.reason',
      'm.status as sms_status',
      'm.error_code',
      sql<boolean>`m.provider_message_id is not null`.as('accepted'),
      sql<boolean>`coalesce(r.not_before > ${now}, false)`.as('deferred'),
      sql<number>`count(*)::int`.as('n'),
    ])
    .where('r.campaign_id', '=', campaignId)
    // The flags by position (the deferred one holds a parameter, so it cannot be repeated here).
    .groupBy(['r.state', 'r.reason', 'm.status', 'm.error_code', sql`5`, sql`6`])
    .execute();
  const c = emptyCounts();
  for (const row of rows) {
    const n = Number(row.n);
    c.total += n;
    if (row.state === 'pending') {
      c.pending += n;
      if (row.deferred) c.deferred += n;
    } else if (row.state === 'skipped') c.skipped[row.reason as SkipReason] = (c.skipped[row.reason as SkipReason] ?? 0) + n;
    else if (row.state === 'canceled') c.canceled += n;
    else if (row.state === 'failed') c.failed += n;
    else bySms(c, row.sms_status, row.error_code, row.accepted, n);
  }
  return c;
}

/**
 * A queued recipient by what became of its SMS (features/sms/statuses.ts). `sending` with the
 * provider's id is a message the provider accepted and holds (Twilio answers "queued"): sent. Without
 * it, the provider's answer was never recorded.
 */
function bySms(c: Counts, status: string | null, errorCode: string | null, accepted: boolean, n: number) {
  if (status === 'queued') c.pending += n;
  else if (status === 'sending' && !accepted) c.sending += n;
  else if (status === 'sending' || status === 'sent') c.sent += n;
  else if (status === 'delivered') {
    c.sent += n;
    c.delivered += n;
  } else if (status === 'canceled' && (errorCode === 'opted_out' || errorCode === 'blocked')) c.skipped[errorCode] += n;
  // failed, undelivered, canceled for want of a number; a row erased meanwhile counts as failed too.
  else c.failed += n;
}

/** When the earliest deferred recipient is due, or null. */
async function nextSendAt(q: Q, campaignId: string, now: Date): Promise<Date | null> {
  const row = await q
    .selectFrom('campaign_recipients')
    .select(sql<Date | null>`min(not_before)`.as('at'))
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .where('not_before', '>', now)
    .executeTakeFirst();
  return row?.at ?? null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export async function campaignView(q: Q, c: CampaignRow, now: Date) {
  const counts = await campaignCounts(q, c.id, now);
  const next = counts.deferred ? await nextSendAt(q, c.id, now) : null;
  return {
    campaign_id: c.id,
    bot_id: c.bot_id,
    channel: 'sms' as const,
    status: c.status,
    message: c.message,
    audience: c.audience,
    schedule_at: iso(c.schedule_at),
    quiet_hours: c.quiet_hours,
    rate_per_second: c.rate_per_second,
    counts,
    next_send_at: next && next > now ? next.toISOString() : null,
    created_at: c.created_at.toISOString(),
    started_at: iso(c.started_at),
    completed_at: iso(c.completed_at),
    canceled_at: iso(c.canceled_at),
  };
}
