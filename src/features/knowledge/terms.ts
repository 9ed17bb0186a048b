import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import type { DB } from '../../db/schema.js';
import type { JobDefinition, JobQueue } from '../../jobs/queue.js';

/**
 * The per-bot dictionary of words (knowledge_terms, see migration 0010) that corrects misspelled
 * query words. The ingest job adds a source's words once its passages are stored; words no passage
 * holds any more are dropped by a job a little after passages are removed (so the dictionary does not
 * keep words from erased documents).
 */

export const PRUNE_TERMS_JOB = 'knowledge.prune-terms';

/** Words shorter than this are never corrected (too few trigrams), so they are not kept. */
export const MIN_TERM_LENGTH = 4;
const MAX_TERM_LENGTH = 64;
/** Removals close together (a crawl's vanished pages, several deletions) share one pruning pass. */
const PRUNE_DELAY_SECONDS = 30;

/** A lexeme as tsquery text: quoted, so that no character in it is read as an operator. */
export const quotedLexeme = (term: RawBuilder<unknown>) => sql`'''' || replace(replace(${term}, '\\', '\\\\'), '''', '''''') || ''''`;
/** A lexeme as a one-word tsquery. */
const lexemeQuery = (term: RawBuilder<unknown>) => sql`(${quotedLexeme(term)})::tsquery`;

/**
 * Adds the words of a source's passages (a crawl's: its pages') to its bot's dictionary, in a
 * statement of its own after the passages are committed: new words stay locked until it commits, and
 * another source of the same bot adding the same words waits for them, a wait that inside the
 * passages' transaction made parallel ingestion serial. Words go in sorted order, so two such
 * statements cannot deadlock. A job that dies before this runs is run again, words included.
 */
export async function recordTerms(db: Kysely<DB>, source: { id: string; bot_id: string }): Promise<void> {
  await sql`
    insert into knowledge_terms (bot_id, term)
    select ${source.bot_id}, word
    from ts_stat(format(
      'select tsv from knowledge_chunks where source_id = %L or source_id in (select id from knowledge_sources where parent_id = %L)',
      ${source.id}::text, ${source.id}::text))
    where length(word) between ${MIN_TERM_LENGTH} and ${MAX_TERM_LENGTH}
    order by word
    on conflict do nothing`.execute(db);
}

/** Asks for the bot's dictionary to be pruned soon (passages were removed); inside `trx` when given. */
export async function schedulePrune(jobs: JobQueue, botId: string, trx?: Transaction<DB>): Promise<void> {
  await jobs.send(PRUNE_TERMS_JOB, { bot_id: botId }, { singletonKey: botId, startAfterSeconds: PRUNE_DELAY_SECONDS, ...(trx ? { trx } : {}) });
}

/**
 * Drops the bot's words that no passage contains. Each word is one probe of the full-text index (the
 * subquery's LIMIT keeps the planner from hashing every passage instead): about 2 s for 20,000 words
 * over 100,000 passages.
 */
export async function pruneTerms(db: Kysely<DB>, botId: string): Promise<number> {
  const res = await sql`
    delete from knowledge_terms t
    where t.bot_id = ${botId}
      and not exists (select 1 from knowledge_chunks c where c.bot_id = ${botId} and c.tsv @@ ${lexemeQuery(sql.ref('t.term'))} limit 1)`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

export function termJobs(deps: AppDeps): JobDefinition[] {
  return [{ name: PRUNE_TERMS_JOB, handle: async (data) => void (await pruneTerms(deps.db, (data as { bot_id: string }).bot_id)) }];
}
