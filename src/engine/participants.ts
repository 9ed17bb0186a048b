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

/** What a turn needs of the conversation. */
export type ConversationState = Pick<ConversationRow, 'id' | 'bot_enabled' | 'resume_at' | 'summary' | 'summary_through'>;

/**
 * A turn's first read, in one round trip: the end user upserted (as upsertEndUser) and their existing
 * conversation on this channel, if any. Call it after lockConversation, so no conversation can be
 * created between the lock and this read.
 */
export async function enterConversation(trx: Transaction<DB>, ctx: ServiceContext, at: { botId: string; userId: string; channel: string; now: Date }) {
  const { rows } = await sql<EndUserRow & { inserted: boolean; c_id: string | null; c_bot_enabled: boolean | null; c_resume_at: Date | null; c_summary: string | null; c_summary_through: string | null }>`
    with u as (
      insert into end_users (id, account_id, bot_id, user_id, attributes, first_seen_at, last_seen_at, updated_at)
      values (${newId('usr')}, ${ctx.accountId}, ${at.botId}, ${at.userId}, '{}', ${at.now}, ${at.now}, ${at.now})
      on conflict (bot_id, user_id) do update set last_seen_at = excluded.last_seen_at, first_seen_at = coalesce(end_users.first_seen_at, excluded.first_seen_at)
      returning *, (xmax = 0) as inserted
    )
    select u.*, c.id as c_id, c.bot_enabled as c_bot_enabled, c.resume_at as c_resume_at, c.summary as c_summary, c.summary_through as c_summary_through
    from u left join lateral (
      select * from conversations where bot_id = ${at.botId} and user_id = ${at.userId} and channel = ${at.channel} order by id limit 1
    ) c on true`.execute(trx);
  const { inserted, c_id, c_bot_enabled, c_resume_at, c_summary, c_summary_through, ...user } = rows[0]!;
  if (inserted) await emitEvent(trx, ctx, 'user.created', { bot_id: at.botId, user_id: user.user_id });
  const conversation: ConversationState | null = c_id ? { id: c_id, bot_enabled: c_bot_enabled, resume_at: c_resume_at, summary: c_summary, summary_through: c_summary_through } : null;
  return { user: user as EndUserRow, conversation };
}
