import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { isDatabaseUnavailable } from '../../core/db-errors.js';

/**
 * Passage vectors live in `knowledge_embeddings`, made here at start rather than by a migration: it
 * needs pgvector, which a PostgreSQL server may not have (Debian's PostgreSQL 15 does not), and the
 * migrations must run everywhere.
 */
export type VectorStoreState = { available: true } | { available: false; reason: string; error?: unknown };

/**
 * Enables pgvector and creates the table and its index if absent. Idempotent; several processes
 * starting together take turns on an advisory lock (concurrent `create … if not exists` can still
 * collide on the catalogs). Never throws for a missing or unusable extension: that means full-text.
 */
export async function prepareVectorStore(db: Kysely<DB>): Promise<VectorStoreState> {
  const { rows } = await sql<{ installed: boolean }>`select exists (select 1 from pg_available_extensions where name = 'vector') as installed`.execute(db);
  // Checked first so that a server without the package does not log an ERROR at every start.
  if (!rows[0]?.installed) return { available: false, reason: 'pgvector not installed' };
  try {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext('sinth.knowledge_embeddings'))`.execute(trx);
      await sql`create extension if not exists vector`.execute(trx);
      // No fixed dimension: it depends on the model. Searches scan one bot's rows (bot_id index).
      await sql`create table if not exists knowledge_embeddings (
        chunk_id text primary key references knowledge_chunks(id) on delete cascade,
        bot_id text not null,
        model text not null,
        embedding vector not null
      )`.execute(trx);
      await sql`create index if not exists knowledge_embeddings_bot on knowledge_embeddings (bot_id)`.execute(trx);
    });
    return { available: true };
  } catch (error) {
    // A database gone mid-start is not a verdict on pgvector: the start is tried again.
    if (isDatabaseUnavailable(error)) throw error;
    // Typically a role without the right to create extensions: an operator can run it once as owner.
    return { available: false, reason: 'pgvector could not be enabled', error };
  }
}

export interface ChunkToEmbed {
  id: string;
  heading: string | null;
  content: string;
}

/** A source's passages (a crawl's: its pages' too) that have no vector from `model` yet, in order. */
export async function chunksWithoutEmbedding(db: Kysely<DB>, sourceId: string, model: string, limit: number): Promise<ChunkToEmbed[]> {
  const { rows } = await sql<ChunkToEmbed>`
    select c.id, c.heading, c.content
    from knowledge_chunks c
    where c.source_id in (select id from knowledge_sources where id = ${sourceId} or parent_id = ${sourceId})
      and not exists (select 1 from knowledge_embeddings e where e.chunk_id = c.id and e.model = ${model})
    order by c.source_id, c.position
    limit ${limit}`.execute(db);
  return rows;
}

/**
 * Stores vectors; returns how many rows were written. A chunk deleted meanwhile is skipped: the join
 * locks the chunks it finds (FOR KEY SHARE), so a concurrent delete either waits for this insert (and
 * then cascades) or has already removed the row, which the join then no longer returns. A vector
 * already stored for the same model is kept, so a retried job writes nothing twice.
 */
export async function storeEmbeddings(db: Kysely<DB>, model: string, rows: Array<{ chunkId: string; embedding: number[] }>): Promise<number> {
  if (!rows.length) return 0;
  const result = await sql`
    insert into knowledge_embeddings (chunk_id, bot_id, model, embedding)
    select c.id, c.bot_id, ${model}, x.embedding::vector
    from unnest(${rows.map((r) => r.chunkId)}::text[], ${rows.map((r) => toVectorLiteral(r.embedding))}::text[]) as x(chunk_id, embedding)
    join knowledge_chunks c on c.id = x.chunk_id
    for key share of c
    on conflict (chunk_id) do update set model = excluded.model, embedding = excluded.embedding
      where knowledge_embeddings.model <> excluded.model`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** pgvector's text form, '[0.1,0.2]': it travels as one text parameter per vector. */
export const toVectorLiteral = (v: number[]) => `[${v.join(',')}]`;
