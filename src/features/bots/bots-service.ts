import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { inTransaction } from '../../core/transaction.js';
import { isUniqueViolation } from '../../core/db-errors.js';
import { conflict, invalid, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { countCustom, MAX_CUSTOM_SLIDERS, mergeUi } from '../prompts/settings.js';
import { loadBot } from './bot-access.js';
import { isEnabled, toBot } from './bot-view.js';
import type { CreateBotInput, ToggleInput } from './schemas.js';
import { ERASE_BOT_JOB } from './bot-erasure.js';
import { assertWithinLimit } from '../billing/limits.js';

/** Inserts a bot and its first prompt version; shared by create_bot and create_bot_before_login. */
export async function insertBot(trx: Transaction<DB>, ctx: ServiceContext, input: CreateBotInput, extra: { claimTokenHash?: string } = {}) {
  if (input.values && countCustom(input.values) > MAX_CUSTOM_SLIDERS) {
    throw invalid('values', `At most ${MAX_CUSTOM_SLIDERS} custom sliders.`);
  }
  await assertWithinLimit(trx, ctx, 'bots');
  const id = newId('bot');
  try {
    const row = await trx
      .insertInto('bots')
      .values({
        id,
        account_id: ctx.accountId,
        name: input.name,
        handle: input.handle ?? null,
        prompt: input.prompt ?? '',
        opening_message: input.opening_message ?? '',
        ui: JSON.stringify(mergeUi({}, input.ui ?? {})),
        sliders: JSON.stringify(input.values ?? {}),
        model: input.model ?? null,
        calendar_link: null,
        transfer_number: null,
        claim_token_hash: extra.claimTokenHash ?? null,
        created_ip: ctx.ip,
        updated_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.insertInto('prompt_versions').values({ id: newId('pv'), bot_id: id, version: 1, prompt: row.prompt, source: 'create', restored_from: null, actor: ctx.actor.id }).execute();
    await writeAudit(trx, ctx, { action: 'bot.created', objectType: 'bot', objectId: id, details: { name: input.name } });
    return row;
  } catch (err) {
    if (isUniqueViolation(err, 'bots_handle_uq')) throw conflict('handle_taken', `The handle "${input.handle}" is taken.`, 'handle');
    throw err;
  }
}

export async function createBot({ ctx, input }: { ctx: ServiceContext; input: CreateBotInput }) {
  return inTransaction(ctx, async (trx) => toBot(await insertBot(trx, ctx, input)));
}

interface PageInput {
  limit: number;
  cursor?: string | undefined;
}

/** The account's bots in creation order, one page at a time. */
async function pageOfBots(ctx: ServiceContext, input: PageInput) {
  const after = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('bots').selectAll().where('account_id', '=', ctx.accountId).where('deleted_at', 'is', null).orderBy('id').limit(input.limit + 1);
  if (after) q = q.where('id', '>', after);
  return toPage(await q.execute(), input.limit, (b) => b.id);
}

export async function getBots({ ctx, input }: { ctx: ServiceContext; input: PageInput }) {
  const page = await pageOfBots(ctx, input);
  return { data: page.data.map(toBot), next_cursor: page.next_cursor };
}

export async function listBotIds({ ctx, input }: { ctx: ServiceContext; input: PageInput }) {
  const page = await pageOfBots(ctx, input);
  return { data: page.data.map((b) => b.id), next_cursor: page.next_cursor };
}

export async function getBotsWithNames({ ctx, input }: { ctx: ServiceContext; input: PageInput }) {
  const page = await pageOfBots(ctx, input);
  return { data: page.data.map((b) => ({ bot_id: b.id, name: b.name })), next_cursor: page.next_cursor };
}

/** Names need not be unique: every bot with this name (case-insensitive), oldest first. */
export async function getBotIdsByName({ ctx, input }: { ctx: ServiceContext; input: { name: string } }) {
  const rows = await ctx.db
    .selectFrom('bots')
    .select('id')
    .where('account_id', '=', ctx.accountId)
    .where('deleted_at', 'is', null)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', input.name.toLowerCase()))
    .orderBy('id')
    .limit(1000)
    .execute();
  return { name: input.name, bot_ids: rows.map((r) => r.id) };
}

/** One bot, the full object get_bots lists. */
export async function getBot({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string } }) {
  return toBot(await loadBot(ctx, input.bot_id));
}

export async function getBotName({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string } }) {
  const bot = await loadBot(ctx, input.bot_id);
  return { bot_id: bot.id, name: bot.name };
}

export async function setBotName({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; name: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await loadBot(ctx, input.bot_id, { q: trx, forUpdate: true });
    const row = await trx.updateTable('bots').set({ name: input.name, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action: 'bot.renamed', objectType: 'bot', objectId: row.id, details: { from: before.name, to: input.name } });
    return toBot(row);
  });
}

/**
 * Switches the bot's replies off (human takeover) or on, for the whole bot or one conversation.
 * Omitting `enabled` flips the current effective state.
 */
export async function toggleBotResponse({ ctx, input }: { ctx: ServiceContext; input: ToggleInput }) {
  if (input.resume_after_minutes !== undefined && input.enabled === true) {
    throw invalid('resume_after_minutes', 'resume_after_minutes hands a switched-off bot back; it does not go with enabled: true.');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx, forUpdate: true });
    const resumeAt = (enabled: boolean) => (!enabled && input.resume_after_minutes ? new Date(Date.now() + input.resume_after_minutes * 60_000) : null);

    if (input.conversation_id) {
      const conv = await trx
        .selectFrom('conversations')
        .select(['id', 'bot_enabled', 'resume_at'])
        .where('id', '=', input.conversation_id)
        .where('bot_id', '=', bot.id)
        .where('account_id', '=', ctx.accountId)
        .forUpdate()
        .executeTakeFirst();
      if (!conv) throw notFound('conversation', 'conversation_id');
      // The bot answers a conversation only when neither the bot nor the conversation is switched off;
      // switching a conversation back on clears its own switch, so it follows the bot again.
      const botOn = isEnabled(bot.response_enabled, bot.response_resume_at);
      const convOn = conv.bot_enabled === null || isEnabled(conv.bot_enabled, conv.resume_at);
      const enabled = input.enabled ?? !(botOn && convOn);
      const until = resumeAt(enabled);
      await trx.updateTable('conversations').set({ bot_enabled: enabled ? null : false, resume_at: until, updated_at: new Date() }).where('id', '=', conv.id).execute();
      await writeAudit(trx, ctx, { action: enabled ? 'conversation.bot_resumed' : 'conversation.taken_over', objectType: 'conversation', objectId: conv.id, details: { bot_id: bot.id, resume_at: until?.toISOString() ?? null } });
      return { bot_id: bot.id, conversation_id: conv.id, enabled: enabled && botOn, resume_at: until?.toISOString() ?? null };
    }

    const enabled = input.enabled ?? !isEnabled(bot.response_enabled, bot.response_resume_at);
    const until = resumeAt(enabled);
    await trx.updateTable('bots').set({ response_enabled: enabled, response_resume_at: until, updated_at: new Date() }).where('id', '=', bot.id).execute();
    await writeAudit(trx, ctx, { action: enabled ? 'bot.responses_enabled' : 'bot.responses_disabled', objectType: 'bot', objectId: bot.id, details: { resume_at: until?.toISOString() ?? null } });
    return { bot_id: bot.id, conversation_id: null, enabled, resume_at: until?.toISOString() ?? null };
  });
}

/**
 * Soft-deletes a bot: it disappears from every endpoint at once and its handle is free again; the
 * erase job (enqueued in the same transaction) then removes its data for good.
 */
export async function deleteBot({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx, forUpdate: true });
    const deletedAt = new Date();
    await trx.updateTable('bots').set({ deleted_at: deletedAt, claim_token_hash: null, updated_at: deletedAt }).where('id', '=', bot.id).execute();
    await writeAudit(trx, ctx, { action: 'bot.deleted', objectType: 'bot', objectId: bot.id, details: { name: bot.name } });
    await ctx.jobs.send(ERASE_BOT_JOB, { bot_id: bot.id }, { trx, startAfterSeconds: ctx.config.BOT_ERASE_DELAY_MINUTES * 60 });
    return { bot_id: bot.id, deleted: true as const, deleted_at: deletedAt.toISOString() };
  });
}
