import { sql, type Kysely } from 'kysely';

/**
 * The knowledge base: sources (files, crawls and their pages, feeds), the uploaded bytes, and the
 * passages (chunks) retrieval reads, with full-text and trigram indexes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create extension if not exists pg_trgm;
    create table knowledge_sources (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      kind text not null check (kind in ('file', 'crawl', 'page', 'feed')),
      -- A page belongs to the crawl that found it.
      parent_id text references knowledge_sources(id) on delete cascade,
      status text not null default 'queued' check (status in ('queued', 'processing', 'ready', 'failed')),
      error text,
      filename text,
      url text,
      title text,
      mime text,
      bytes bigint not null default 0,
      content_hash text,
      chunks integer not null default 0,
      rows integer,
      options jsonb not null default '{}',
      refresh_minutes integer,
      next_refresh_at timestamptz,
      fetched_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index knowledge_sources_bot on knowledge_sources (bot_id, kind, id);
    create index knowledge_sources_parent on knowledge_sources (parent_id) where parent_id is not null;
    create index knowledge_sources_hash on knowledge_sources (bot_id, content_hash) where content_hash is not null;
    create index knowledge_sources_due on knowledge_sources (next_refresh_at) where kind = 'feed';
    create unique index knowledge_pages_url on knowledge_sources (parent_id, url) where kind = 'page';

    -- The uploaded file, kept in the database so any worker process can parse it.
    create table knowledge_files (
      source_id text primary key references knowledge_sources(id) on delete cascade,
      content bytea not null
    );

    create table knowledge_chunks (
      id text primary key,
      source_id text not null references knowledge_sources(id) on delete cascade,
      bot_id text not null,
      position integer not null,
      heading text,
      content text not null,
      tokens integer not null,
      -- Feed rows are re-indexed only when their hash changes.
      row_hash text,
      tsv tsvector generated always as (to_tsvector('english', coalesce(heading, '') || ' ' || content)) stored
    );
    create index knowledge_chunks_source on knowledge_chunks (source_id, position);
    create index knowledge_chunks_tsv on knowledge_chunks using gin (tsv);
    create index knowledge_chunks_trgm on knowledge_chunks using gin (content gin_trgm_ops);
    create index knowledge_chunks_bot on knowledge_chunks (bot_id);
  `.execute(db);
}
