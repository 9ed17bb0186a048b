import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { sha256Hex } from '../core/crypto.js';

/** How long a stored turn answers its retries: the Idempotency-Key replay window (core/http/idempotency.ts). */
const DEDUPE_HOURS = 24;

/**
 * The key a turn's user message is stored under when its request may be retried: the caller's
 * (an inbound SMS: `sms:<id>`), or one derived from the request's Idempotency-Key. A retry then finds
 * the message (and its reply, stored under the same key with `:reply`) instead of storing it again,
 * even when the first attempt died or failed after storing it.
 */
export function dedupeKeyOf(ctx: ServiceContext, given: string | undefined): string | null {
  if (given) return given;
  return ctx.idempotency ? `idem:${sha256Hex(`${ctx.idempotency.scope}\n${ctx.idempotency.key}`)}` : null;
}

export const replyKeyOf = (key: string) => `${key}:reply`;

export interface StoredTurn {
  message: { id: string; conversation_id: string; content: string; status: string };
  /** The reply stored for it, if the earlier attempt got that far. */
  reply: { id: string; content: string; source: string | null; sources: unknown[] | null } | null;
}

/**
 * The user message (and reply) an earlier attempt stored under `key`. A key older than the replay
 * window is released first, so a key reused a day later starts a new turn.
 */
export async function findStoredTurn(trx: Transaction<DB>, ctx: ServiceContext, key: string): Promise<StoredTurn | null> {
  const rows = await trx
    .selectFrom('messages')
    .select(['id', 'conversation_id', 'content', 'status', 'source', 'sources', 'dedupe_key', sql<boolean>`created_at < now() - make_interval(hours => ${DEDUPE_HOURS})`.as('stale')])
    .where('account_id', '=', ctx.accountId)
    .where('dedupe_key', 'in', [key, replyKeyOf(key)])
    .execute();
  const message = rows.find((r) => r.dedupe_key === key);
  if (!message) return null;
  if (message.stale) {
    await trx.updateTable('messages').set({ dedupe_key: null }).where('id', 'in', rows.map((r) => r.id)).execute();
    return null;
  }
  const reply = rows.find((r) => r.dedupe_key === replyKeyOf(key)) ?? null;
  return {
    message: { id: message.id, conversation_id: message.conversation_id, content: message.content, status: message.status },
    reply: reply && { id: reply.id, content: reply.content, source: reply.source, sources: reply.sources },
  };
}

/**
 * What the first answer to a conversation's first user message sent along: the disclosure line and
 * greeting stored before it; null for a later message.
 */
export async function openingBefore(trx: Transaction<DB>, conversationId: string, messageId: string): Promise<string | null> {
  const earlier = () => trx.selectFrom('messages').where('conversation_id', '=', conversationId).where('id', '<', messageId);
  // A long conversation is not read whole: one probe for an earlier user message, then the opening lines.
  if (await earlier().select('id').where('role', '=', 'user').limit(1).executeTakeFirst()) return null;
  const lines = await earlier().select('content').where('role', '=', 'assistant').where('source', 'in', ['disclosure', 'opening']).orderBy('id').execute();
  return lines.map((m) => m.content).join('\n\n') || null;
}
