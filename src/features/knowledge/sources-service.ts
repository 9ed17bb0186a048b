import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { sha256Hex } from '../../core/crypto.js';
import { invalid, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import type { KnowledgeKind } from '../../db/schema.js';
import { loadBot } from '../bots/bot-access.js';
import { assertWithinLimit } from '../billing/limits.js';
import { INGEST_JOB } from './ingest.js';
import type { ScrapeInput } from './schemas.js';
import { detectType } from './parsers/detect.js';
import { queryVector, retrievePassages } from './retrieval.js';
import { schedulePrune } from './terms.js';

const DEFAULT_MAX_PAGES = 50;
const DEFAULT_MAX_DEPTH = 3;
const DEFAULT_REFRESH_MINUTES = 60;

/**
 * A file sent to /upload: its type is read from its bytes (an unsupported one is a 415 naming what it
 * is), and the same bytes already in this bot's knowledge are not stored or indexed again. Parsing and
 * indexing run in a job queued in the same transaction.
 */
export async function uploadFile(ctx: ServiceContext, input: { botId: string; filename: string; mime: string | null; bytes: Buffer }) {
  const bot = await loadBot(ctx, input.botId, { param: 'bot_id' });
  if (!input.bytes.length) throw invalid('file', 'The file is empty.');
  // The type comes from the bytes: an unsupported one is a 415 naming what the file is, an unreadable one a 422.
  await detectType(input.bytes, input.filename, input.mime ?? undefined);
  const hash = sha256Hex(input.bytes.toString('base64'));
  return ctx.db.transaction().execute(async (trx) => {
    const same = await trx.selectFrom('knowledge_sources').select(['id', 'status']).where('bot_id', '=', bot.id).where('content_hash', '=', hash).where('status', '!=', 'failed').executeTakeFirst();
    if (same) return { source_id: same.id, status: same.status, duplicate: true };
    await assertWithinLimit(trx, ctx, 'knowledge_mb', input.bytes.length);
    const id = newId('src');
    await trx
      .insertInto('knowledge_sources')
      .values({ id, account_id: ctx.accountId, bot_id: bot.id, kind: 'file', filename: input.filename, mime: input.mime, bytes: input.bytes.length, content_hash: hash, updated_at: new Date() })
      .execute();
    await trx.insertInto('knowledge_files').values({ source_id: id, content: input.bytes }).execute();
    await ctx.jobs.send(INGEST_JOB, { source_id: id }, { trx, singletonKey: id });
    await writeAudit(trx, ctx, { action: 'knowledge.file_uploaded', objectType: 'source', objectId: id, details: { bot_id: bot.id, bytes: input.bytes.length } });
    return { source_id: id, status: 'queued' as const, duplicate: false };
  });
}

/** Creates a source of any kind and queues its ingestion, in one transaction. */
async function createSource(ctx: ServiceContext, botId: string, kind: KnowledgeKind, fields: { url: string; filename?: string | null; options?: Record<string, unknown>; refresh_minutes?: number }) {
  const bot = await loadBot(ctx, botId, { param: 'bot_id' });
  return ctx.db.transaction().execute(async (trx) => {
    // Its size is known once fetched (checked again then): here, only whether any room is left.
    await assertWithinLimit(trx, ctx, 'knowledge_mb', 1);
    const id = newId('src');
    await trx
      .insertInto('knowledge_sources')
      .values({
        id,
        account_id: ctx.accountId,
        bot_id: bot.id,
        kind,
        url: fields.url,
        filename: fields.filename ?? null,
        options: JSON.stringify(fields.options ?? {}),
        refresh_minutes: fields.refresh_minutes ?? null,
        updated_at: new Date(),
      })
      .execute();
    await ctx.jobs.send(INGEST_JOB, { source_id: id }, { trx, singletonKey: id });
    await writeAudit(trx, ctx, { action: `knowledge.${kind}_added`, objectType: 'source', objectId: id, details: { bot_id: bot.id, url: fields.url } });
    return { id, status: 'queued' as const };
  });
}

export async function uploadFromUrl({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; url: string; filename?: string | undefined } }) {
  const filename = input.filename ?? (decodeURIComponent(new URL(input.url).pathname.split('/').pop() ?? '') || 'download');
  const { id, status } = await createSource(ctx, input.bot_id, 'file', { url: input.url, filename });
  return { source_id: id, status, duplicate: false };
}

export async function scrapeWebsite({ ctx, input }: { ctx: ServiceContext; input: ScrapeInput }) {
  const maxPages = Math.min(input.max_pages ?? DEFAULT_MAX_PAGES, ctx.config.CRAWL_MAX_PAGES);
  const options = { max_pages: maxPages, max_depth: input.max_depth ?? DEFAULT_MAX_DEPTH, include: input.include ?? [], exclude: input.exclude ?? [] };
  const { id, status } = await createSource(ctx, input.bot_id, 'crawl', { url: input.url, options });
  return { source_id: id, status };
}

export async function addFeed({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; url: string; refresh_minutes?: number | undefined } }) {
  const { id, status } = await createSource(ctx, input.bot_id, 'feed', { url: input.url, refresh_minutes: input.refresh_minutes ?? DEFAULT_REFRESH_MINUTES });
  return { feed_id: id, status };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function pageOf<R extends { id: string }, V>(rows: R[], limit: number, view: (row: R) => V) {
  const page = toPage(rows, limit, (r) => r.id);
  return { data: page.data.map(view), next_cursor: page.next_cursor };
}

function listQuery(ctx: ServiceContext, botId: string, kinds: KnowledgeKind[], cursor: string | undefined, limit: number) {
  let q = ctx.db.selectFrom('knowledge_sources').selectAll().where('bot_id', '=', botId).where('kind', 'in', kinds);
  const after = decodeCursor(cursor);
  if (after) q = q.where('id', '<', after);
  return q.orderBy('id', 'desc').limit(limit + 1).execute();
}

export async function listFiles({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; limit: number; cursor?: string | undefined } }) {
  const bot = await loadBot(ctx, input.bot_id, { param: 'bot_id' });
  const rows = await listQuery(ctx, bot.id, ['file'], input.cursor, input.limit);
  return pageOf(rows, input.limit, (r) => ({
    file_id: r.id, filename: r.filename, url: r.url, bytes: Number(r.bytes), status: r.status, error: r.error, chunks: r.chunks, created_at: r.created_at.toISOString(),
  }));
}

export async function listPages({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; limit: number; cursor?: string | undefined } }) {
  const bot = await loadBot(ctx, input.bot_id, { param: 'bot_id' });
  const rows = await listQuery(ctx, bot.id, ['page'], input.cursor, input.limit);
  return pageOf(rows, input.limit, (r) => ({
    page_id: r.id, crawl_id: r.parent_id, url: r.url, title: r.title, status: r.status, error: r.error, chunks: r.chunks, fetched_at: iso(r.fetched_at),
  }));
}

export async function listFeeds({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; limit: number; cursor?: string | undefined } }) {
  const bot = await loadBot(ctx, input.bot_id, { param: 'bot_id' });
  const rows = await listQuery(ctx, bot.id, ['feed'], input.cursor, input.limit);
  return pageOf(rows, input.limit, (r) => ({
    feed_id: r.id, url: r.url, refresh_minutes: r.refresh_minutes, rows: r.rows, status: r.status, error: r.error, last_refreshed_at: iso(r.fetched_at), next_refresh_at: iso(r.next_refresh_at),
  }));
}

/**
 * Removes sources and, through the foreign keys, their passages and pages, in one statement: they
 * leave retrieval the moment it commits.
 */
async function deleteSources(ctx: ServiceContext, botId: string, kinds: KnowledgeKind[], match: { id?: string | undefined; filename?: string | undefined; url?: string | undefined }, param: string) {
  const bot = await loadBot(ctx, botId, { param: 'bot_id' });
  return ctx.db.transaction().execute(async (trx) => {
    let q = trx.deleteFrom('knowledge_sources').where('bot_id', '=', bot.id).where('kind', 'in', kinds);
    if (match.id) q = q.where('id', '=', match.id);
    else if (match.filename) q = q.where('filename', '=', match.filename);
    else q = q.where('url', '=', match.url!);
    const gone = await q.returning(['id', 'kind']).execute();
    if (!gone.length) throw notFound(kinds[0] === 'file' ? 'file' : kinds[0] === 'feed' ? 'feed' : 'page', param);
    await schedulePrune(ctx.jobs, bot.id, trx);
    for (const g of gone) await writeAudit(trx, ctx, { action: `knowledge.${g.kind}_deleted`, objectType: 'source', objectId: g.id, details: { bot_id: bot.id } });
    return { deleted: gone.length };
  });
}

export async function deleteFile({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; file_id?: string | undefined; filename?: string | undefined } }) {
  if (!input.file_id && !input.filename) throw invalid('file_id', 'Give file_id or filename.', 'missing_parameter');
  return deleteSources(ctx, input.bot_id, ['file'], { id: input.file_id, filename: input.filename }, input.file_id ? 'file_id' : 'filename');
}

/** A page by id or URL; a crawl's id removes the crawl and all its pages. */
export async function deletePage({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; page_id?: string | undefined; url?: string | undefined } }) {
  if (!input.page_id && !input.url) throw invalid('page_id', 'Give page_id or url.', 'missing_parameter');
  return deleteSources(ctx, input.bot_id, ['page', 'crawl'], { id: input.page_id, url: input.url }, input.page_id ? 'page_id' : 'url');
}

export async function deleteFeed({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; feed_id: string } }) {
  return deleteSources(ctx, input.bot_id, ['feed'], { id: input.feed_id }, 'feed_id');
}

/** Fetches and indexes a source again now (a page's crawl runs again; an uploaded file is re-parsed). */
export async function refreshSource({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; source_id: string } }) {
  const bot = await loadBot(ctx, input.bot_id, { param: 'bot_id' });
  return ctx.db.transaction().execute(async (trx) => {
    const source = await trx.selectFrom('knowledge_sources').select(['id', 'kind', 'parent_id']).where('id', '=', input.source_id).where('bot_id', '=', bot.id).forUpdate().executeTakeFirst();
    if (!source) throw notFound('source', 'source_id');
    const target = source.kind === 'page' && source.parent_id ? source.parent_id : source.id;
    await trx.updateTable('knowledge_sources').set({ status: 'queued', error: null, updated_at: new Date() }).where('id', '=', target).execute();
    await ctx.jobs.send(INGEST_JOB, { source_id: target }, { trx, singletonKey: target });
    return { source_id: target, status: 'queued' as const };
  });
}

/** What the bot would read for a query: its passages ranked as a conversation turn ranks them. */
export async function searchKnowledge({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; query: string; limit?: number | undefined } }) {
  const bot = await loadBot(ctx, input.bot_id, { param: 'bot_id' });
  const vector = await queryVector(ctx, bot.id, input.query);
  return { data: await retrievePassages(ctx.db, bot.id, input.query, { limit: input.limit ?? 10, vector }) };
}
