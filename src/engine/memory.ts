import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { AppDeps } from '../core/context.js';
import type { JobDefinition } from '../jobs/queue.js';
import { countTokens, fitHistory, MESSAGE_OVERHEAD, type HistoryTurn } from './history.js';
import { HISTORY_TOKEN_BUDGET } from './prompt.js';
import { RETRAINED_EXAMPLES } from './retrained.js';

/** Replies that only make sense next to what they answered, which the history leaves out. */
const NOT_HISTORY = ['safety', 'blocked_topic', 'moderation', 'age_gate', 'disclosure'];

/**
 * The turns the model may read: user, bot and operator messages, without refused ones and the
 * refusals, age-gate exchanges and disclosure lines. `after` and `upTo` bound it by id.
 */
function historyQuery(q: Kysely<DB> | Transaction<DB>, conversationId: string, opts: { upTo?: string; after?: string | null }) {
  let query = q
    .selectFrom('messages')
    .select(['id', 'role', 'content', 'tokens'])
    .where('conversation_id', '=', conversationId)
    .where('role', 'in', ['user', 'assistant', 'operator'])
    .where('status', '!=', 'flagged')
    .where((eb) => eb.or([eb('source', 'is', null), eb('source', 'not in', NOT_HISTORY)]));
  if (opts.upTo) query = query.where('id', '<=', opts.upTo);
  if (opts.after) query = query.where('id', '>', opts.after);
  return query;
}

/** The whole history after `after`, oldest first. */
export async function loadHistory(q: Kysely<DB> | Transaction<DB>, conversationId: string, opts: { after?: string | null }): Promise<HistoryTurn[]> {
  return (await historyQuery(q, conversationId, opts).orderBy('id').execute()) as HistoryTurn[];
}

/**
 * What a turn's prompt is made from, in one round trip: the bot's most used curated answers, whether
 * it has any knowledge to search, and the
 * newest turns up to the message being answered (what the summary covers left out), oldest first, cut
 * in SQL to the ones that start within the token budget, so a turn reads about the same whatever the
 * length of the conversation. The one turn that crosses the budget comes too, and `cut` says whether
 * older turns were left out (for the summary). Counts stored with each message are used; older
 * messages without one are estimated at a token per three characters.
 */
export async function loadTurnContext(trx: Transaction<DB>, at: { botId: string; conversationId: string; upTo: string; after: string | null }) {
  const newest = historyQuery(trx, at.conversationId, at).orderBy('id', 'desc').limit(HISTORY_ROWS);
  const cost = sql`(coalesce(tokens, ceil(length(content) / 3.0)::int) + ${MESSAGE_OVERHEAD})`;
  const { rows } = await sql<{ history: HistoryTurn[]; cut: boolean; examples: Array<{ question: string; response: string }>; has_knowledge: boolean }>`
    with newest as (${newest}),
    counted as (select newest.*, sum(${cost}) over (order by id desc) - ${cost} as before from newest)
    select
      (select coalesce(json_agg(h order by h.id), '[]'::json) from (
        select id, role, content, tokens from counted where before < ${HISTORY_TOKEN_BUDGET}
      ) h) as history,
      exists (select 1 from counted where before >= ${HISTORY_TOKEN_BUDGET}) or (select count(*) from newest) = ${HISTORY_ROWS} as cut,
      (select coalesce(json_agg(e), '[]'::json) from (
        select question, response from retrained_responses where bot_id = ${at.botId} order by hits desc, id limit ${RETRAINED_EXAMPLES}
      ) e) as examples,
      exists (select 1 from knowledge_chunks where bot_id = ${at.botId}) as has_knowledge`.execute(trx);
  return rows[0]!;
}

/** More turns than any budget keeps: a bound on what one turn reads. */
const HISTORY_ROWS = 200;

export const SUMMARIZE_JOB = 'conversations.summarize';
/** Tokens of folded turns summarised per model call. */
const SUMMARY_CHUNK_TOKENS = 4000;
const SUMMARY_MAX_TOKENS = 400;

const SUMMARY_INSTRUCTIONS =
  'You keep the running memory of a long chat between a persona bot and one person. Update the summary with the new turns. ' +
  'Keep what matters for later conversations: who the person is, names, preferences, plans, promises, feelings, running jokes, and what was already discussed. ' +
  'Write plain prose in the third person, at most 200 words. Reply with the summary only.';

/**
 * Folds the turns that no longer fit the prompt's history budget into `conversations.summary`, oldest
 * first, a chunk at a time. Each step moves `summary_through` forward only from where it read it, so
 * two runs at once (or a retry) never fold a turn twice or lose one.
 */
export async function summarizeConversation(deps: AppDeps, conversationId: string): Promise<number> {
  const llm = deps.llm;
  if (!llm) return 0;
  let steps = 0;
  for (;;) {
    const conv = await deps.db.selectFrom('conversations').select(['summary', 'summary_through']).where('id', '=', conversationId).executeTakeFirst();
    if (!conv) return steps;
    const turns = await loadHistory(deps.db, conversationId, { after: conv.summary_through });
    const { folded } = fitHistory(turns, HISTORY_TOKEN_BUDGET);
    if (!folded.length) return steps;

    const chunk: HistoryTurn[] = [];
    let tokens = 0;
    for (const t of folded) {
      tokens += countTokens(t.content) + MESSAGE_OVERHEAD;
      if (chunk.length && tokens > SUMMARY_CHUNK_TOKENS) break;
      chunk.push(t);
    }
    const transcript = chunk.map((t) => `${t.role === 'user' ? 'Person' : 'Bot'}: ${t.content}`).join('\n');
    const out = await llm.generate({
      messages: [
        { role: 'system', content: SUMMARY_INSTRUCTIONS },
        { role: 'user', content: `Summary so far:\n${conv.summary ?? '(none yet)'}\n\nNew turns:\n${transcript}` },
      ],
      temperature: 0.2,
      maxTokens: SUMMARY_MAX_TOKENS,
    });
    const moved = await deps.db
      .updateTable('conversations')
      .set({ summary: out.text.trim(), summary_through: chunk[chunk.length - 1]!.id })
      .where('id', '=', conversationId)
      .where((eb) => (conv.summary_through === null ? eb('summary_through', 'is', null) : eb('summary_through', '=', conv.summary_through)))
      .executeTakeFirst();
    if (!moved.numUpdatedRows) return steps; // someone else folded these turns meanwhile
    steps++;
  }
}

export function memoryJobs(deps: AppDeps): JobDefinition[] {
  return [{ name: SUMMARIZE_JOB, policy: 'stately', handle: async (data) => void (await summarizeConversation(deps, (data as { conversation_id: string }).conversation_id)) }];
}
