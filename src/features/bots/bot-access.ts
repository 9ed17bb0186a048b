import { sql, type Transaction } from 'kysely';
import type { DB, BotRow } from '../../db/schema.js';
import type { Database } from '../../db/database.js';
import type { ServiceContext } from '../../core/context.js';
import { conflict, forbidden, notFound } from '../../core/errors.js';

type Q = Database | Transaction<DB>;

/** A conversation key limited to some bots may touch only those. */
function assertKeyMayUse(ctx: ServiceContext, botId: string): void {
  const allowed = ctx.key?.botIds;
  if (allowed?.length && !allowed.includes(botId)) throw forbidden('This key is not valid for this bot.', 'bot_not_allowed');
}

/** The account's live bot with this id, or a 404 (also for another account's bot). `forUpdate` locks it. */
export async function loadBot(ctx: ServiceContext, botId: string, opts: { q?: Q; forUpdate?: boolean; param?: string } = {}): Promise<BotRow> {
  let query = (opts.q ?? ctx.db).selectFrom('bots').selectAll().where('id', '=', botId).where('account_id', '=', ctx.accountId).where('deleted_at', 'is', null);
  if (opts.forUpdate) query = query.forUpdate();
  const bot = await query.executeTakeFirst();
  if (!bot) throw notFound('bot', opts.param ?? 'bot_id');
  assertKeyMayUse(ctx, bot.id);
  return bot;
}

/**
 * Resolves a reference that may be an id, a handle or a name (retrieve_prompt's `bot`, the
 * conversation API's `creator`). A name shared by several bots is a 409 asking for the id.
 */
export async function resolveBotRef(ctx: ServiceContext, ref: string, opts: { q?: Q; forUpdate?: boolean; param: string; byName?: boolean }): Promise<BotRow> {
  const q = opts.q ?? ctx.db;
  if (/^bot_[0-9a-z]{26}$/.test(ref)) return loadBot(ctx, ref, opts);
  let query = q
    .selectFrom('bots')
    .selectAll()
    .where('account_id', '=', ctx.accountId)
    .where('deleted_at', 'is', null)
    .where((eb) => {
      const byHandle = eb(eb.fn('lower', ['handle']), '=', ref.toLowerCase());
      return opts.byName === false ? byHandle : eb.or([byHandle, eb(eb.fn('lower', ['name']), '=', ref.toLowerCase())]);
    })
    // A handle is unique and wins over names, so it sorts first; two more rows tell whether a name is shared.
    .orderBy(sql`(lower(handle) = ${ref.toLowerCase()}) is true`, 'desc')
    .limit(3);
  if (opts.forUpdate) query = query.forUpdate();
  const rows = await query.execute();
  const byHandle = rows.find((r) => r.handle?.toLowerCase() === ref.toLowerCase());
  const bot = byHandle ?? (rows.length === 1 ? rows[0] : undefined);
  if (!bot && rows.length > 1) throw conflict('ambiguous_bot_name', `Several bots are named "${ref}"; use the bot id.`, opts.param);
  if (!bot) throw notFound('bot', opts.param);
  assertKeyMayUse(ctx, bot.id);
  return bot;
}

/** The conversation API's `creator`: a bot id or handle (display names are not unique enough to route fans). */
export function resolveCreator(ctx: ServiceContext, creator: string, q?: Q): Promise<BotRow> {
  return resolveBotRef(ctx, creator, { param: 'creator', byName: false, ...(q ? { q } : {}) });
}
