import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeNumberCursor, toPage } from '../../core/pagination.js';
import type { BotRow } from '../../db/schema.js';
import { loadBot, resolveBotRef } from '../bots/bot-access.js';

const toPrompt = (b: Pick<BotRow, 'id' | 'prompt' | 'prompt_version'>) => ({ bot_id: b.id, prompt: b.prompt, version: b.prompt_version });

export async function getPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string } }) {
  return toPrompt(await loadBot(ctx, input.bot_id));
}

export async function retrievePrompt({ ctx, input }: { ctx: ServiceContext; input: { bot: string } }) {
  return toPrompt(await resolveBotRef(ctx, input.bot, { param: 'bot' }));
}

/**
 * Sets the prompt and records it as the next version. The UPDATE takes the bot's row lock and bumps
 * the version in one statement, so concurrent edits get consecutive versions; it is the first write of
 * the transaction to keep the lock short. An edit that changes nothing records nothing.
 */
async function savePrompt(ctx: ServiceContext, bot: Pick<BotRow, 'id'>, text: string, source: 'edit' | 'restore', restoredFrom: number | null = null, param = 'bot_id') {
  return ctx.db.transaction().execute(async (trx) => {
    let update = trx
      .updateTable('bots')
      .set((eb) => ({ prompt: text, prompt_version: eb('prompt_version', '+', 1), updated_at: new Date() }))
      .where('id', '=', bot.id)
      .where('account_id', '=', ctx.accountId)
      .where('deleted_at', 'is', null);
    if (source === 'edit') update = update.where('prompt', '<>', text);
    const row = await update.returning(['id', 'prompt', 'prompt_version']).executeTakeFirst();
    if (!row) {
      // Nothing updated: the bot is gone, or the prompt already says this.
      const current = await trx
        .selectFrom('bots')
        .select(['id', 'prompt', 'prompt_version'])
        .where('id', '=', bot.id)
        .where('account_id', '=', ctx.accountId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!current) throw notFound('bot', param);
      return toPrompt(current);
    }
    await trx.insertInto('prompt_versions').values({ id: newId('pv'), bot_id: bot.id, version: row.prompt_version, prompt: text, source, restored_from: restoredFrom, actor: ctx.actor.id }).execute();
    await writeAudit(trx, ctx, {
      action: source === 'edit' ? 'prompt.edited' : 'prompt.restored',
      objectType: 'bot',
      objectId: bot.id,
      details: { version: row.prompt_version, ...(restoredFrom ? { restored_from: restoredFrom } : {}) },
    });
    return toPrompt(row);
  });
}

export async function editPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; prompt: string } }) {
  // No separate lookup: the UPDATE is scoped to the account and answers 404 itself.
  return savePrompt(ctx, { id: input.bot_id }, input.prompt, 'edit');
}

export async function modifyPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot: string; prompt: string } }) {
  return savePrompt(ctx, await resolveBotRef(ctx, input.bot, { param: 'bot' }), input.prompt, 'edit', null, 'bot');
}

/** Makes an old version current again, as a new version (history is never rewritten). */
export async function restorePromptVersion({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; version: number } }) {
  const bot = await loadBot(ctx, input.bot_id);
  const old = await ctx.db.selectFrom('prompt_versions').select('prompt').where('bot_id', '=', bot.id).where('version', '=', input.version).executeTakeFirst();
  if (!old) throw notFound('prompt version', 'version');
  return savePrompt(ctx, bot, old.prompt, 'restore', input.version);
}

export async function getPromptVersions({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; limit: number; cursor?: string | undefined } }) {
  const bot = await loadBot(ctx, input.bot_id);
  const before = decodeNumberCursor(input.cursor);
  let q = ctx.db.selectFrom('prompt_versions').selectAll().where('bot_id', '=', bot.id).orderBy('version', 'desc').limit(input.limit + 1);
  if (before !== null) q = q.where('version', '<', before);
  const page = toPage(await q.execute(), input.limit, (v) => String(v.version));
  return {
    data: page.data.map((v) => ({
      version: v.version,
      prompt: v.prompt,
      source: v.source,
      restored_from: v.restored_from,
      actor: v.actor,
      created_at: v.created_at.toISOString(),
      current: v.version === bot.prompt_version,
    })),
    next_cursor: page.next_cursor,
  };
}
