import type { ServiceContext } from '../../core/context.js';
import { sql } from 'kysely';
import { auditValues } from '../../core/audit.js';
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

/** The single statement behind savePrompt (exported so the benchmark's baseline runs exactly it). */
export function savePromptStatement(ctx: ServiceContext, botId: string, text: string, source: 'edit' | 'restore', restoredFrom: number | null) {
  const audit = auditValues(ctx, { action: source === 'edit' ? 'prompt.edited' : 'prompt.restored', objectType: 'bot', objectId: botId });
  const extra = JSON.stringify(restoredFrom ? { restored_from: restoredFrom } : {});
  return sql<Pick<BotRow, 'id' | 'prompt' | 'prompt_version'>>`
    with u as (
      update bots set prompt = ${text}, prompt_version = prompt_version + 1, updated_at = now()
      where id = ${botId} and account_id = ${ctx.accountId} and deleted_at is null
        and (${source === 'restore'} or prompt <> ${text})
      returning id, prompt, prompt_version
    ), v as (
      insert into prompt_versions (id, bot_id, version, prompt, source, restored_from, actor)
      select ${newId('pv')}, u.id, u.prompt_version, u.prompt, ${source}, ${restoredFrom}::int, ${ctx.actor.id}::text from u
    ), a as (
      insert into audit_logs (id, account_id, actor_type, actor_id, action, object_type, object_id, request_id, ip, details)
      select ${audit.id}, ${audit.account_id}, ${audit.actor_type}, ${audit.actor_id}::text, ${audit.action}, 'bot', u.id,
        ${audit.request_id}::text, ${audit.ip}::text, jsonb_build_object('version', u.prompt_version) || ${extra}::jsonb
      from u
    )
    select id, prompt, prompt_version from u`;
}

/**
 * Sets the prompt, records it as the next version and writes the audit row, as ONE statement: it is
 * atomic on its own, takes the bot's row lock for a single round trip (so concurrent edits get
 * consecutive versions without queueing behind each other's transactions), and filters by account.
 * An edit that changes nothing records nothing.
 */
async function savePrompt(ctx: ServiceContext, botId: string, text: string, source: 'edit' | 'restore', restoredFrom: number | null = null, param = 'bot_id') {
  const { rows } = await savePromptStatement(ctx, botId, text, source, restoredFrom).execute(ctx.db);
  if (rows[0]) return toPrompt(rows[0]);
  // Nothing updated: the bot is not this account's (or gone), or the prompt already says this.
  const current = await ctx.db
    .selectFrom('bots')
    .select(['id', 'prompt', 'prompt_version'])
    .where('id', '=', botId)
    .where('account_id', '=', ctx.accountId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!current) throw notFound('bot', param);
  return toPrompt(current);
}

export async function editPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; prompt: string } }) {
  // No separate lookup: the UPDATE is scoped to the account and answers 404 itself.
  return savePrompt(ctx, input.bot_id, input.prompt, 'edit');
}

export async function modifyPrompt({ ctx, input }: { ctx: ServiceContext; input: { bot: string; prompt: string } }) {
  const bot = await resolveBotRef(ctx, input.bot, { param: 'bot' });
  return savePrompt(ctx, bot.id, input.prompt, 'edit', null, 'bot');
}

/** Makes an old version current again, as a new version (history is never rewritten). */
export async function restorePromptVersion({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; version: number } }) {
  const bot = await loadBot(ctx, input.bot_id);
  const old = await ctx.db.selectFrom('prompt_versions').select('prompt').where('bot_id', '=', bot.id).where('version', '=', input.version).executeTakeFirst();
  if (!old) throw notFound('prompt version', 'version');
  return savePrompt(ctx, bot.id, old.prompt, 'restore', input.version);
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
