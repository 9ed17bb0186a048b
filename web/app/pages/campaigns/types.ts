export const STATUSES = ['scheduled', 'queued', 'sending', 'completed', 'canceled'] as const;
export type CampaignStatus = (typeof STATUSES)[number];

export interface Campaign {
  campaign_id: string;
  bot_id: string;
  channel: 'sms';
  status: CampaignStatus;
  message: string;
  audience: Record<string, unknown>;
  schedule_at: string | null;
  quiet_hours: boolean;
  rate_per_second: number;
  counts: {
    total: number;
    pending: number;
    deferred: number;
    sending: number;
    sent: number;
    delivered: number;
    failed: number;
    skipped: Record<string, number>;
    canceled: number;
  };
  next_send_at: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  canceled_at: string | null;
}

export const isActive = (c: Campaign) => c.status === 'scheduled' || c.status === 'queued' || c.status === 'sending';

export const skippedTotal = (c: Campaign) => Object.values(c.counts.skipped).reduce((a, b) => a + b, 0);

/** Recipients whose turn has come and gone (sent, failed, skipped or canceled), as a share of all. */
export function doneShare(c: Campaign): number {
  const n = c.counts;
  return n.total ? (n.sent + n.failed + skippedTotal(c) + n.canceled) / n.total : 0;
}
