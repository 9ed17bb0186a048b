import { sql } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { sha256Hex } from '../../core/crypto.js';
import { invalid } from '../../core/errors.js';
import { idsAt } from '../../core/ids.js';
import { countTokens } from '../../engine/history.js';
import { SUMMARIZE_JOB } from '../../engine/memory.js';
import { findOrCreateConversation, lockConversation, upsertEndUser } from '../../engine/participants.js';
import { loadBot } from '../bots/bot-access.js';
import type { ImportHistoryInput } from './schemas.js';

/** A clock a little ahead of ours is tolerated; a message from the future is not. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Imports an end user's history from elsewhere into their conversation, in one transaction: all of it
 * or none. Messages are stored in time order with ids made from their own times, so they sort among
 * live messages by when they were said. Each carries a key made from its role, time and text: the same
 * message imported again is skipped, so an import can be retried or re-run with more messages.
 */
export async function importConversationHistory({ ctx, input }: { ctx: ServiceContext; input: ImportHistoryInput }) {
  const now = Date.now();
  const rows = input.messages.map((m, index) => ({ ...m, index, at: Date.parse(m.timestamp) }));
  const future = rows.find((r) => r.at > now + CLOCK_SKEW_MS);
  if (future) throw invalid(`messages.${future.index}.timestamp`, 'A message cannot be from the future.');
  rows.sort((a, b) => a.at - b.at || a.index - b.index); // stable: same-time messages keep their order
  const ids = idsAt('msg', rows.map((r) => r.at));
  const channel = input.channel ?? 'api';

  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    await lockConversation(trx, bot.id, input.user_id, channel);
    const user = await upsertEndUser(trx, ctx, bot.id, input.user_id, new Date(now));
    const { conversation } = await findOrCreateConversation(trx, ctx, { botId: bot.id, userId: input.user_id, channel, now: new Date(now) });

    // One statement whatever the size: the rows travel as one JSON parameter (10,000 rows of separate
    // parameters would pass PostgreSQL's 65,535-parameter limit).
    const payload = rows.map((r, i) => ({
      id: ids[i],
      role: r.role,
      content: r.content,
      source: r.role === 'operator' ? 'operator' : r.role === 'assistant' ? 'import' : null,
      import_key: sha256Hex(`${r.role}\n${r.at}\n${r.content}`),
      tokens: countTokens(r.content),
      created_at: new Date(r.at).toISOString(),
    }));
    const inserted = await sql<{ id: string }>`
      insert into messages (id, account_id, conversation_id, role, content, status, source, import_key, created_at, tokens)
      select x.id, ${ctx.accountId}, ${conversation.id}, x.role, x.content, 'ok', x.source, x.import_key, x.created_at, x.tokens
      from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(id text, role text, content text, source text, import_key text, created_at timestamptz, tokens int)
      on conflict (conversation_id, import_key) where import_key is not null do nothing
      returning id`.execute(trx);
    const imported = inserted.rows.length;

    if (imported) {
      const first = new Date(rows[0]!.at);
      const last = new Date(rows[rows.length - 1]!.at);
      await trx
        .updateTable('conversations')
        .set({ last_message_at: sql`greatest(last_message_at, ${last})`, updated_at: new Date() })
        .where('id', '=', conversation.id)
        .execute();
      await trx.updateTable('end_users').set({ first_seen_at: sql`least(first_seen_at, ${first})` }).where('id', '=', user.id).execute();
      // Messages older than what the summary covers would fall outside both it and the history: start it again.
      const oldest = inserted.rows.reduce((min, r) => (r.id < min ? r.id : min), inserted.rows[0]!.id);
      if (conversation.summary_through && oldest <= conversation.summary_through) {
        await trx.updateTable('conversations').set({ summary: null, summary_through: null }).where('id', '=', conversation.id).execute();
      }
      // A long imported past is folded into the running summary in the background.
      if (ctx.llm) await ctx.jobs.send(SUMMARIZE_JOB, { conversation_id: conversation.id }, { trx, singletonKey: conversation.id });
    }
    await writeAudit(trx, ctx, { action: 'conversation.history_imported', objectType: 'conversation', objectId: conversation.id, details: { imported, skipped: rows.length - imported } });
    return { conversation_id: conversation.id, user_id: input.user_id, imported, skipped: rows.length - imported };
  });
}
