import { sql, type Transaction, type Updateable } from 'kysely';
import type { DB, EndUsersTable } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { emitEvent } from '../../core/events.js';
import { isUniqueViolation } from '../../core/db-errors.js';
import { conflict, invalid, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { containsPattern } from '../../core/like.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { toE164 } from '../../core/phone.js';
import { lockConversation } from '../../engine/participants.js';
import { loadBot } from '../bots/bot-access.js';
import { CHANNELS } from '../../core/channels.js';
import { MAX_ATTRIBUTES, type CreateUserInput, type GetUsersQuery, type UpdateUserInput } from './schemas.js';
import { toUser } from './user-view.js';

type UserFields = Omit<UpdateUserInput, 'bot_id' | 'user_id'>;

async function isSuppressed(trx: Transaction<DB>, accountId: string, phone: string): Promise<boolean> {
  const row = await trx.selectFrom('suppressions').select('phone').where('account_id', '=', accountId).where('phone', '=', phone).executeTakeFirst();
  return Boolean(row);
}

async function findUser(trx: Transaction<DB>, botId: string, by: { userId?: string | undefined; phone?: string | null | undefined }) {
  let q = trx.selectFrom('end_users').selectAll().where('bot_id', '=', botId).forUpdate();
  if (by.userId) q = q.where('user_id', '=', by.userId);
  else if (by.phone) q = q.where('phone', '=', by.phone);
  else return undefined;
  return q.executeTakeFirst();
}

/** The column values a partial update sets; attributes merge (null removes one), tags replace. */
function changes(fields: UserFields, phone: string | null | undefined, current: Record<string, unknown>): Updateable<EndUsersTable> {
  const set: Updateable<EndUsersTable> = {};
  if (phone !== undefined) set.phone = phone;
  if (fields.email !== undefined) set.email = fields.email;
  if (fields.name !== undefined) set.name = fields.name;
  if (fields.tags !== undefined) set.tags = [...new Set(fields.tags)];
  if (fields.attributes !== undefined) {
    const merged: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(fields.attributes)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    if (Object.keys(merged).length > MAX_ATTRIBUTES) throw invalid('attributes', `A user has at most ${MAX_ATTRIBUTES} attributes.`);
    set.attributes = JSON.stringify(merged);
  }
  if (fields.age_verified !== undefined) {
    set.age_verified = fields.age_verified;
    set.age_verified_at = fields.age_verified ? new Date() : null;
    set.age_verified_channel = fields.age_verified ? 'api' : null;
  }
  return set;
}

async function writeUser(ctx: ServiceContext, input: CreateUserInput | UpdateUserInput, mode: 'create' | 'update') {
  const phone = input.phone === undefined || input.phone === null ? input.phone : toE164(input.phone, 'phone');
  const attempt = () =>
    ctx.db.transaction().execute(async (trx) => {
      const bot = await loadBot(ctx, input.bot_id, { q: trx });
      const existing = await findUser(trx, bot.id, { userId: input.user_id, phone: mode === 'create' ? phone : undefined });
      if (!existing && mode === 'update') throw notFound('user', 'user_id');
      // An opted-out number stays opted out, whichever user it is given to.
      const suppressed = phone ? await isSuppressed(trx, ctx.accountId, phone) : false;
      if (existing) {
        const set = changes(input, phone, existing.attributes);
        if (suppressed && !existing.opted_out) Object.assign(set, { opted_out: true, opted_out_at: new Date() });
        const row = await trx.updateTable('end_users').set({ ...set, updated_at: new Date() }).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
        await writeAudit(trx, ctx, { action: 'user.updated', objectType: 'user', objectId: row.id, details: { bot_id: bot.id, fields: Object.keys(set) } });
        return row;
      }
      const set = changes(input, phone, {});
      const id = newId('usr');
      const row = await trx
        .insertInto('end_users')
        .values({
          id,
          account_id: ctx.accountId,
          bot_id: bot.id,
          user_id: input.user_id ?? phone ?? id,
          attributes: '{}',
          ...set,
          opted_out: suppressed,
          opted_out_at: suppressed ? new Date() : null,
          updated_at: new Date(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeAudit(trx, ctx, { action: 'user.created', objectType: 'user', objectId: row.id, details: { bot_id: bot.id } });
      await emitEvent(trx, ctx, 'user.created', { bot_id: bot.id, user_id: row.user_id });
      return row;
    });
  try {
    return toUser(await attempt());
  } catch (err) {
    if (isUniqueViolation(err, 'end_users_phone_uq')) throw conflict('phone_taken', 'Another user of this bot has this phone number.', 'phone');
    // Two requests created the same new user at once: the loser finds it and updates it.
    if (mode === 'create' && isUniqueViolation(err, 'end_users_bot_id_user_id_key')) return toUser(await attempt());
    throw err;
  }
}

/** Creates an end user, or updates the one with this user_id (or, without one, this phone number). */
export function createUser({ ctx, input }: { ctx: ServiceContext; input: CreateUserInput }) {
  return writeUser(ctx, input, 'create');
}

export function updateUser({ ctx, input }: { ctx: ServiceContext; input: UpdateUserInput }) {
  return writeUser(ctx, input, 'update');
}

export async function getUsers({ ctx, input }: { ctx: ServiceContext; input: GetUsersQuery }) {
  const bot = await loadBot(ctx, input.bot_id);
  const after = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('end_users').selectAll().where('bot_id', '=', bot.id).orderBy('id').limit(input.limit + 1);
  if (after) q = q.where('id', '>', after);
  if (input.tag) q = q.where(sql<boolean>`tags @> array[${input.tag}]::text[]`);
  if (input.opted_out !== undefined) q = q.where('opted_out', '=', input.opted_out);
  if (input.blocked !== undefined) q = q.where('blocked', '=', input.blocked);
  if (input.search) {
    const like = containsPattern(input.search);
    q = q.where((eb) => eb.or([eb('user_id', 'ilike', like), eb('name', 'ilike', like), eb('email', 'ilike', like), eb('phone', 'ilike', like)]));
  }
  const page = toPage(await q.execute(), input.limit, (u) => u.id);
  return { data: page.data.map(toUser), next_cursor: page.next_cursor };
}

async function loadUser(ctx: ServiceContext, botId: string, userId: string) {
  const bot = await loadBot(ctx, botId);
  const user = await ctx.db.selectFrom('end_users').selectAll().where('bot_id', '=', bot.id).where('user_id', '=', userId).executeTakeFirst();
  if (!user) throw notFound('user', 'user_id');
  return user;
}

/** A user's profile with the channels they used and how many messages each side sent. */
export async function getUser({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; user_id: string } }) {
  const user = await loadUser(ctx, input.bot_id, input.user_id);
  const conversations = ctx.db.selectFrom('conversations').select('id').where('bot_id', '=', user.bot_id).where('user_id', '=', user.user_id);
  const [channels, counts] = await Promise.all([
    ctx.db.selectFrom('conversations').select('channel').distinct().where('bot_id', '=', user.bot_id).where('user_id', '=', user.user_id).orderBy('channel').execute(),
    ctx.db.selectFrom('messages').select(['role', (eb) => eb.fn.countAll<number>().as('n')]).where('conversation_id', 'in', conversations).groupBy('role').execute(),
  ]);
  const count = (role: string) => Number(counts.find((c) => c.role === role)?.n ?? 0);
  return {
    ...toUser(user),
    channels: channels.map((c) => c.channel),
    message_counts: { user: count('user'), assistant: count('assistant'), operator: count('operator') },
  };
}

/** A blocked user gets no reply on any channel (the conversation engine and senders check this flag). */
export async function blockUser({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; user_id: string; blocked: boolean } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    const row = await trx
      .updateTable('end_users')
      .set({ blocked: input.blocked, updated_at: new Date() })
      .where('bot_id', '=', bot.id)
      .where('user_id', '=', input.user_id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('user', 'user_id');
    await writeAudit(trx, ctx, { action: input.blocked ? 'user.blocked' : 'user.unblocked', objectType: 'user', objectId: row.id, details: { bot_id: bot.id } });
    return toUser(row);
  });
}

/**
 * Right to erasure: the user, their conversations and messages (and, as those features arrive, calls
 * and recordings) are deleted. An opted-out phone number is kept only as a suppression entry, so the
 * erasure can never lead to messaging someone who asked not to be contacted.
 */
export async function deleteUser({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; user_id: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    // Waits for turns being stored on any channel, and keeps new ones out until the erasure commits.
    for (const channel of CHANNELS) await lockConversation(trx, bot.id, input.user_id, channel);
    const user = await trx.selectFrom('end_users').selectAll().where('bot_id', '=', bot.id).where('user_id', '=', input.user_id).forUpdate().executeTakeFirst();
    if (!user) throw notFound('user', 'user_id');
    await trx.deleteFrom('conversations').where('bot_id', '=', bot.id).where('user_id', '=', user.user_id).execute();
    await trx.deleteFrom('end_users').where('id', '=', user.id).execute();
    // Events about an end user carry data.bot_id and data.user_id; the outbox's copies go with the user,
    // and with them (by cascade) their webhook deliveries, sent or not, and the attempts' response excerpts.
    await trx
      .deleteFrom('outbox_events')
      .where('account_id', '=', ctx.accountId)
      .where(sql<boolean>`payload->'data'->>'bot_id' = ${bot.id} and payload->'data'->>'user_id' = ${user.user_id}`)
      .execute();
    const suppressed = Boolean(user.opted_out && user.phone);
    if (suppressed) {
      await trx.insertInto('suppressions').values({ account_id: ctx.accountId, phone: user.phone!, reason: 'opted_out' }).onConflict((oc) => oc.doNothing()).execute();
    }
    // The audit row names the internal id only: the caller's user_id may itself be personal data.
    await writeAudit(trx, ctx, { action: 'user.deleted', objectType: 'user', objectId: user.id, details: { bot_id: bot.id, suppressed } });
    return { user_id: user.user_id, deleted: true as const, suppressed };
  });
}
