import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NOTIFICATION_EVENTS, type NotificationEvent } from './schemas.js';

type Q = Kysely<DB> | Transaction<DB>;

/** Everything but new users, who can arrive by thousands a day. */
const DEFAULT_EVENTS: NotificationEvent[] = NOTIFICATION_EVENTS.filter((e) => e !== 'new_user');

export interface EffectiveSettings {
  emails: string[];
  events: NotificationEvent[];
  digest: boolean;
  updatedAt: Date | null;
}

/** An account's settings, or the defaults (its own email; all events but new_user; the digest) when it never set them. */
function effectiveSettings(account: { email: string | null }, row: { emails: string[]; events: string[]; digest: boolean; updated_at: Date } | null): EffectiveSettings {
  if (!row) return { emails: account.email ? [account.email] : [], events: DEFAULT_EVENTS, digest: true, updatedAt: null };
  return { emails: row.emails, events: row.events.filter((e): e is NotificationEvent => (NOTIFICATION_EVENTS as readonly string[]).includes(e)), digest: row.digest, updatedAt: row.updated_at };
}

/** Accounts joined to their settings row, if any; `joinedSettings` reads a row of it. */
export const accountsWithSettings = (q: Q) => q.selectFrom('accounts as a').leftJoin('notification_settings as s', 's.account_id', 'a.id').select(['a.id', 'a.email', 's.emails', 's.events', 's.digest', 's.updated_at']);

export function joinedSettings(r: { email: string | null; emails: string[] | null; events: string[] | null; digest: boolean | null; updated_at: Date | null }): EffectiveSettings {
  return effectiveSettings(r, r.emails && r.events && r.digest !== null && r.updated_at ? { emails: r.emails, events: r.events, digest: r.digest, updated_at: r.updated_at } : null);
}

/** The settings of several accounts in one query (accounts that do not exist are absent). */
export async function settingsOf(q: Q, accountIds: string[]): Promise<Map<string, EffectiveSettings>> {
  if (!accountIds.length) return new Map();
  const rows = await accountsWithSettings(q).where('a.id', 'in', accountIds).execute();
  return new Map(rows.map((r) => [r.id, joinedSettings(r)]));
}
