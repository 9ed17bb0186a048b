import { sql } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { invalid, notFound, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { loadBot } from '../bots/bot-access.js';
import type { RetrainInput } from './schemas.js';

/** The form curated questions are matched and deduplicated in: case, punctuation and spacing ignored. */
export function normalizeQuestion(q: string): string {
  return q.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Stores a curated answer for a question, given directly or as the user message that a bot reply
 * (message_id) answered. Retraining the same question again replaces its answer.
 */
export async function retrainResponse({ ctx, input }: { ctx: ServiceContext; input: RetrainInput }) {
  if (Boolean(input.message_id) === Boolean(input.question)) {
    throw invalid(input.message_id ? 'question' : 'message_id', 'Give exactly one of message_id (the reply to correct) or question.');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    let question = input.question ?? '';
    if (input.message_id) {
      const reply = await trx
        .selectFrom('messages')
        .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
        .select(['messages.id', 'messages.role', 'messages.conversation_id'])
        .where('messages.id', '=', input.message_id)
        .where('conversations.bot_id', '=', bot.id)
        .where('messages.account_id', '=', ctx.accountId)
        .executeTakeFirst();
      if (!reply) throw notFound('message', 'message_id');
      if (reply.role !== 'assistant') throw unprocessable('not_a_bot_reply', 'message_id must name a reply of the bot.', 'message_id');
      const asked = await trx
        .selectFrom('messages')
        .select('content')
        .where('conversation_id', '=', reply.conversation_id)
        .where('role', '=', 'user')
        .where('id', '<', reply.id)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!asked) throw unprocessable('no_question', 'No user message precedes this reply; pass the question instead.', 'message_id');
      question = asked.content.slice(0, 1000);
    }
    const normalized = normalizeQuestion(question);
    if (!normalized) throw invalid('question', 'The question has no words to match on.');
    const now = new Date();
    const row = await trx
      .insertInto('retrained_responses')
      .values({ id: newId('rr'), account_id: ctx.accountId, bot_id: bot.id, question, question_normalized: normalized, response: input.response, source_message_id: input.message_id ?? null, updated_at: now })
      .onConflict((oc) => oc.columns(['bot_id', 'question_normalized']).doUpdateSet({ response: input.response, question, source_message_id: input.message_id ?? null, updated_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action: 'response.retrained', objectType: 'retrained_response', objectId: row.id, details: { bot_id: bot.id } });
    return {
      response_id: row.id,
      bot_id: bot.id,
      question: row.question,
      response: row.response,
      hits: row.hits,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    };
  });
}
