import { sql, type Kysely } from 'kysely';

/**
 * The words (stemmed lexemes) each bot's passages contain, with a trigram index: a misspelled query
 * word that no passage contains is replaced by the closest word the bot does know. A dictionary of
 * some tens of thousands of short terms is searched in milliseconds, where trigram matching over whole
 * passages took a second. Words under 4 letters are left out: trigrams cannot correct them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table knowledge_terms (
      bot_id text not null references bots(id) on delete cascade,
      term text not null,
      primary key (bot_id, term)
    )`.execute(db);
  await sql`create index knowledge_terms_trgm on knowledge_terms using gin (term gin_trgm_ops)`.execute(db);
  await sql`
    insert into knowledge_terms (bot_id, term)
    select distinct c.bot_id, w from knowledge_chunks c, unnest(tsvector_to_array(c.tsv)) w
    where length(w) between 4 and 64
    on conflict do nothing`.execute(db);
}
