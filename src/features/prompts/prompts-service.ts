import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import type { Transaction } from 'kysely';
import type { BotRow, DB } from '../../db/schema.js';
import { loadBot, resolveBotRef } from '../bots/bot-access.js';

const toPrompt = (b: Pick<BotRow, 'id' | 'prompt' | 'prompt_version'>) => ({ bot_id: b.id, prompt: b.prompt, version: b.prompt_version });

export async function getPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string } }) {
  return toPrompt(await loadBot(ctx, input.bot_id));
}

export async function retrievePrompt({ ctx, input }: { ctx: ServiceContext; input: { bot: string } }) {
  return toPrompt(await resolveBotRef(ctx, input.bot, { param: 'bot' }));
}

type Source = 'edit' | 'restore';

/**
 * Sets the prompt and records it as the next version, under the bot's row lock so concurrent edits get
 * consecutive version numbers. An edit that changes nothing records nothing.
 */
async function savePrompt(
  ctx: ServiceContext,
  locate: (o: { q: Transaction<DB>; forUpdate: true }) => Promise<BotRow>,
  prompt: string | ((bot: BotRow, trx: Transaction<DB>) => Promise<string>),
  source: Source,
  restoredFrom: number | null = null,
) {
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await locate({ q: trx, forUpdate: true });
    const text = typeof prompt === 'string' ? prompt : await prompt(bot, trx);
    if (source === 'edit' && text === bot.prompt) return toPrompt(bot);
    const version = bot.prompt_version + 1;
    await trx.insertInto('prompt_versions').values({ id: newId('pv'), bot_id: bot.id, version, prompt: text, source, restored_from: restoredFrom, actor: ctx.actor.id }).execute();
    const row = await trx.updateTable('bots').set({ prompt: text, prompt_version: version, updated_at: new Date() }).where('id', '=', bot.id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action: source === 'edit' ? 'prompt.edited' : 'prompt.restored', objectType: 'bot', objectId: bot.id, details: { version, ...(restoredFrom ? { restored_from: restoredFrom } : {}) } });
    return toPrompt(row);
  });
}

export async function editPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; prompt: string } }) {
  return savePrompt(ctx, (o) => loadBot(ctx, input.bot_id, o), input.prompt, 'edit');
}

export async function modifyPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot: string; prompt: string } }) {
  return savePrompt(ctx, (o) => resolveBotRef(ctx, input.bot, { ...o, param: 'bot' }), input.prompt, 'edit');
}

/** Makes an old version current again, as a new version (history is never rewritten). */
export async function restorePromptVersion({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; version: number } }) {
  return savePrompt(
    ctx,
    (o) => loadBot(ctx, input.bot_id, o),
    async (bot, trx) => {
      const old = await trx.selectFrom('prompt_versions').select('prompt').where('bot_id', '=', bot.id).where('version', '=', input.version).executeTakeFirst();
      if (!old) throw notFound('prompt version', 'version');
      return old.prompt;
    },
    'restore',
    input.version,
  );
}

export async function getPromptVersions({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; limit: number; cursor?: string | undefined } }) {
  const bot = await loadBot(ctx, input.bot_id);
  const before = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('prompt_versions').selectAll().where('bot_id', '=', bot.id).orderBy('id', 'desc').limit(input.limit + 1);
  if (before) q = q.where('id', '<', before);
  const page = toPage(await q.execute(), input.limit, (v) => v.id);
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
