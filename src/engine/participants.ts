import { sql, type Transaction } from 'kysely';
import type { ConversationsTable, DB, EndUserRow } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { ServiceContext } from '../core/context.js';
import { emitEvent } from '../core/events.js';
import { newId } from '../core/ids.js';

/**
 * Serialises every write to one end user's conversation on one channel (turns, imports) until the
 * transaction ends, across processes.
 */
export async function lockConversation(trx: Transaction<DB>, botId: string, userId: string, channel: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`${botId}:${userId}:${channel}`}))`.execute(trx);
}

/** The end user, created on first contact (`user.created`). An upsert: create_user or another channel may be creating them now. */
export async function upsertEndUser(trx: Transaction<DB>, ctx: ServiceContext, botId: string, userId: string, now: Date): Promise<EndUserRow> {
  const { inserted, ...user } = await trx
    .insertInto('end_users')
    .values({ id: newId('usr'), account_id: ctx.accountId, bot_id: botId, user_id: userId, attributes: '{}', first_seen_at: now, last_seen_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['bot_id', 'user_id']).doUpdateSet({ last_seen_at: now, first_seen_at: sql`coalesce(end_users.first_seen_at, excluded.first_seen_at)` }))
    .returningAll()
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  if (inserted) await emitEvent(trx, ctx, 'user.created', { bot_id: botId, user_id: user.user_id });
  return user;
}

export type ConversationRow = Selectable<ConversationsTable>;

/** The user's conversation on this channel, or a new one (`conversation.created`) and whether it is new. */
export async function findOrCreateConversation(trx: Transaction<DB>, ctx: ServiceContext, at: { botId: string; userId: string; channel: string; now: Date }) {
  const existing = await trx.selectFrom('conversations').selectAll().where('bot_id', '=', at.botId).where('user_id', '=', at.userId).where('channel', '=', at.channel).orderBy('id').limit(1).executeTakeFirst();
  if (existing) return { conversation: existing, created: false };
  const conversation = await trx
    .insertInto('conversations')
    .values({ id: newId('conv'), account_id: ctx.accountId, bot_id: at.botId, user_id: at.userId, channel: at.channel, updated_at: at.now })
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitEvent(trx, ctx, 'conversation.created', { bot_id: at.botId, user_id: at.userId, conversation_id: conversation.id, channel: at.channel });
  return { conversation, created: true };
}
