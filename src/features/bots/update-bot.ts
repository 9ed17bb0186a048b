import type { Transaction, Updateable } from 'kysely';
import type { BotRow, BotsTable, DB } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { loadBot } from './bot-access.js';

/**
 * The common shape of a bot setting change: lock the bot, compute the change from its current row,
 * write it with the audit row in one transaction, return the new row.
 */
export async function updateBot(
  ctx: ServiceContext,
  botId: string,
  action: string,
  change: (bot: BotRow, trx: Transaction<DB>) => Promise<Updateable<BotsTable>> | Updateable<BotsTable>,
  details?: (bot: BotRow) => Record<string, unknown>,
): Promise<BotRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, botId, { q: trx, forUpdate: true });
    const patch = await change(bot, trx);
    const row = await trx.updateTable('bots').set({ ...patch, updated_at: new Date() }).where('id', '=', bot.id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action, objectType: 'bot', objectId: bot.id, ...(details ? { details: details(row) } : {}) });
    return row;
  });
}
