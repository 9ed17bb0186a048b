import { sql } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import { sha256Hex } from '../../core/crypto.js';
import { emitEvent } from '../../core/events.js';
import type { JobDefinition } from '../../jobs/queue.js';
import type { Selectable } from 'kysely';
import type { KnowledgeSourcesTable } from '../../db/schema.js';
import { chunkMarkdown } from './chunker.js';
import { EMBED_JOB, embedSource, queueEmbedding } from './embed-passages.js';
import { ingestCrawl } from './ingest-crawl.js';
import { ingestFeed } from './ingest-feed.js';
import { replacePassages } from './passages-store.js';
import { recordTerms, schedulePrune } from './terms.js';
import { parseFile } from './parsers/index.js';
import { fetchForKnowledge } from './fetching.js';
import { SourceError } from './source-error.js';
import { assertKnowledgeRoom } from './knowledge-limit.js';

export const INGEST_JOB = 'knowledge.ingest';
export const FEED_SWEEP_JOB = 'knowledge.feed-sweep';
/** Sources one process ingests at once (the benchmark measures ingestion at this concurrency). */
export const INGEST_CONCURRENCY = 2;

export type SourceRow = Selectable<KnowledgeSourcesTable>;



/**
 * Runs one source's ingestion: fetch or load, parse, chunk and index. The outcome is the source's
 * status: `ready`, or `failed` with a readable reason (and `source.ready` / `source.failed` events).
 * A source deleted meanwhile is left alone.
 */
export async function ingestSource(deps: AppDeps, sourceId: string): Promise<void> {
  const claimed = await deps.db
    .updateTable('knowledge_sources')
    .set({ status: 'processing', error: null, updated_at: new Date() })
    .where('id', '=', sourceId)
    .returningAll()
    .executeTakeFirst();
  if (!claimed) return;
  try {
    if (claimed.kind === 'file') await ingestFile(deps, claimed);
    else if (claimed.kind === 'crawl') await ingestCrawl(deps, claimed);
    else if (claimed.kind === 'feed') await ingestFeed(deps, claimed);
    else throw new SourceError('A page is fetched again with its crawl: refresh the crawl.');
    await recordTerms(deps.db, claimed);
    await finish(deps, claimed, 'ready', null);
  } catch (err) {
    const reason = err instanceof SourceError || (err as { reason?: string }).reason ? ((err as { reason?: string }).reason ?? (err as Error).message) : null;
    if (!reason) deps.log.error({ err, source_id: sourceId }, 'knowledge ingestion failed');
    await finish(deps, claimed, 'failed', reason ?? 'internal error while processing this source');
  }
}

async function finish(deps: AppDeps, source: SourceRow, status: 'ready' | 'failed', error: string | null) {
  await deps.db.transaction().execute(async (trx) => {
    const now = new Date();
    // A feed that failed is tried again at its next refresh time.
    const retry = source.kind === 'feed' && status === 'failed' ? { next_refresh_at: new Date(now.getTime() + (source.refresh_minutes ?? 60) * 60_000) } : {};
    const row = await trx.updateTable('knowledge_sources').set({ status, error, updated_at: now, ...retry }).where('id', '=', source.id).returning(['id']).executeTakeFirst();
    if (!row) return; // deleted meanwhile
    if (status === 'ready') await queueEmbedding(deps, trx, source.id);
    await emitEvent(trx, systemContext(deps, source.account_id), status === 'ready' ? 'source.ready' : 'source.failed', { bot_id: source.bot_id, source_id: source.id, kind: source.kind, ...(error ? { error } : {}) });
  });
}

/** An uploaded file, or one fetched from its URL (upload_bubble): parsed, chunked and indexed. */
async function ingestFile(deps: AppDeps, source: SourceRow): Promise<void> {
  let bytes = (await deps.db.selectFrom('knowledge_files').select('content').where('source_id', '=', source.id).executeTakeFirst())?.content ?? null;
  let mime = source.mime;
  if (source.url) {
    const fetched = await fetchForKnowledge(deps, source.url);
    const body = fetched.body;
    bytes = body;
    mime = fetched.contentType;
    const hash = sha256Hex(body.toString('base64'));
    const same = await deps.db.selectFrom('knowledge_sources').select('id').where('bot_id', '=', source.bot_id).where('content_hash', '=', hash).where('id', '!=', source.id).where('status', '!=', 'failed').executeTakeFirst();
    if (same) throw new SourceError(`The same content is already in this bot's knowledge as ${same.id}; it is not indexed twice.`);
    await assertKnowledgeRoom(deps.db, deps, source.account_id, body.length - Number(source.bytes ?? 0));
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('knowledge_sources').set({ bytes: body.length, content_hash: hash, mime }).where('id', '=', source.id).execute();
      await trx.insertInto('knowledge_files').values({ source_id: source.id, content: body }).onConflict((oc) => oc.column('source_id').doUpdateSet({ content: body })).execute();
    });
  }
  if (!bytes) throw new SourceError('The file is missing.');
  const parsed = await parseFile(bytes, { filename: source.filename ?? undefined, mime: mime ?? undefined });
  const passages = chunkMarkdown(parsed.markdown);
  if (!passages.length) throw new SourceError('No text was found in the file.');
  await deps.db.transaction().execute(async (trx) => {
    if (await replacePassages(trx, source, passages)) await schedulePrune(deps.jobs, source.bot_id, trx);
    await trx.updateTable('knowledge_sources').set({ chunks: passages.length, title: parsed.title, fetched_at: source.url ? new Date() : null }).where('id', '=', source.id).execute();
  });
}

/** Feeds whose refresh time has come, queued for ingestion (once each, whatever the number of workers). */
export async function queueDueFeeds(deps: AppDeps): Promise<number> {
  const due = await deps.db
    .selectFrom('knowledge_sources')
    .select('id')
    .where('kind', '=', 'feed')
    .where('status', '!=', 'processing')
    .where('next_refresh_at', '<=', sql<Date>`now()`)
    .limit(500)
    .execute();
  for (const f of due) await deps.jobs.send(INGEST_JOB, { source_id: f.id }, { singletonKey: f.id });
  return due.length;
}

export function knowledgeJobs(deps: AppDeps): JobDefinition[] {
  return [
    // Two sources at once: one is parsed and cut here while PostgreSQL indexes the other.
    // A crawl of hundreds of pages, politely spaced, takes minutes.
    { name: INGEST_JOB, retryLimit: 2, concurrency: INGEST_CONCURRENCY, minExpireSeconds: 3600, handle: async (data) => ingestSource(deps, (data as { source_id: string }).source_id) },
    { name: FEED_SWEEP_JOB, cron: '* * * * *', handle: async () => void (await queueDueFeeds(deps)) },
    { name: EMBED_JOB, retryLimit: 3, minExpireSeconds: 1800, handle: async (data) => void (await embedSource(deps, (data as { source_id: string }).source_id)) },
  ];
}
