import type { OutboxEvent } from '../outbox/relay.js';
import type { NotificationEvent } from './schemas.js';
import { ownEntry } from '../../core/own-entry.js';

/** Takeover requests of one conversation within this many minutes are one email. */
export const TAKEOVER_WINDOW_MINUTES = 5;
/** New users are told in one email per this many minutes, sent when the window closes. */
export const NEW_USER_WINDOW_MINUTES = 15;
/** A knowledge source that keeps failing (a feed refreshed hourly) is told once a day. */
const SOURCE_FAILED_WINDOW_MINUTES = 24 * 60;

/** A notification an event asks for, before it is folded into the account's open one with the same key. */
export interface NotificationDraft {
  accountId: string;
  kind: NotificationEvent;
  /** Events with the same key fold into one email while its window is open. */
  dedupeKey: string;
  windowMinutes: number;
  /** Ids and counts only. */
  data: Record<string, unknown>;
  count: number;
  windowStartedAt: Date;
  /** When the email goes out: at once, or when the window closes (new users). */
  sendAt: Date;
}

const KIND_OF_EVENT: Record<string, NotificationEvent> = {
  'conversation.takeover': 'takeover_requested',
  'call.transferred': 'takeover_requested',
  'user.created': 'new_user',
  'source.failed': 'source_failed',
  'campaign.finished': 'campaign_finished',
  'webhook.disabled': 'webhook_disabled',
  'payment.failed': 'payment_failed',
  'usage.threshold': 'usage_threshold',
};

const notificationKindOf = (eventType: string): NotificationEvent | null => ownEntry(KIND_OF_EVENT, eventType) ?? null;

/** A URL's query may hold a token: emails show where, not with what. */
function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.slice(0, 300);
  } catch {
    return '';
  }
}

/**
 * What an email may carry of an event's data: ids, counts, short system texts. Never `user_id` (the
 * caller's id for a fan may be their phone number or email), never nested data beyond one level.
 */
function safeData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === 'user_id' || k === 'to' || k === 'phone' || k === 'email') continue;
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (k === 'url' && typeof v === 'string') out[k] = withoutQuery(v);
    else if (typeof v === 'string') out[k] = v.slice(0, 300);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const flat = Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number' || typeof x === 'boolean' || (typeof x === 'string' && x.length <= 100)));
      if (Object.keys(flat).length) out[k] = flat;
    }
  }
  return out;
}

const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);

/** The notification an outbox event asks for (null for events no one is emailed about). */
export function draftOf(event: OutboxEvent): NotificationDraft | null {
  const kind = notificationKindOf(event.type);
  if (!kind) return null;
  const data = ((event.payload as { data?: Record<string, unknown> }).data ?? {}) as Record<string, unknown>;
  const at = new Date(event.created_at);
  const base = { accountId: event.account_id, kind, count: 1, windowStartedAt: at, sendAt: at, data: safeData(data) };
  switch (event.type) {
    case 'conversation.takeover':
      return { ...base, dedupeKey: `takeover:${String(data.conversation_id)}`, windowMinutes: TAKEOVER_WINDOW_MINUTES };
    case 'call.transferred':
      return { ...base, dedupeKey: `call:${String(data.call_id)}`, windowMinutes: 0 };
    case 'user.created':
      // One email for all of the account's new users in the window: what bot they came to is in get_users.
      return { ...base, data: {}, dedupeKey: 'new_user', windowMinutes: NEW_USER_WINDOW_MINUTES, sendAt: minutes(at, NEW_USER_WINDOW_MINUTES) };
    case 'source.failed':
      return { ...base, dedupeKey: `source:${String(data.source_id)}`, windowMinutes: SOURCE_FAILED_WINDOW_MINUTES };
    case 'campaign.finished':
      return { ...base, dedupeKey: `campaign:${String(data.campaign_id)}`, windowMinutes: 0 };
    default:
      return { ...base, dedupeKey: `event:${event.id}`, windowMinutes: 0 };
  }
}

/** Drafts with the same account and key folded into one (a statement may not update a row twice). */
export function foldDrafts(drafts: NotificationDraft[]): NotificationDraft[] {
  const byKey = new Map<string, NotificationDraft>();
  for (const d of drafts) {
    const key = `${d.accountId}\u0000${d.dedupeKey}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...d });
    else seen.count += d.count;
  }
  return [...byKey.values()];
}
