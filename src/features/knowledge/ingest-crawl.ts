import type { AppDeps } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import { chunkMarkdown } from './chunker.js';
import { crawlSite } from './crawl/index.js';
import type { SourceRow } from './ingest.js';
import { replacePassages } from './passages-store.js';
import { schedulePrune } from './terms.js';
import { SourceError } from './source-error.js';
import { assertKnowledgeRoom } from './knowledge-limit.js';

interface CrawlOptions {
  max_pages?: number;
  max_depth?: number;
  include?: string[];
  exclude?: string[];
}

/**
 * Crawls a site and stores each page as it arrives (a page source under the crawl, with its passages),
 * so get_pagenames shows progress. A page whose content has not changed since the last crawl is only
 * touched; one that changed is re-indexed; pages the crawl no longer finds are removed at the end.
 */
export async function ingestCrawl(deps: AppDeps, crawl: SourceRow): Promise<void> {
  const options = crawl.options as CrawlOptions;
  const summary = await crawlSite(
    {
      startUrl: crawl.url!,
      maxPages: Math.min(options.max_pages ?? 50, deps.config.CRAWL_MAX_PAGES),
      maxDepth: options.max_depth ?? 3,
      include: options.include ?? [],
      exclude: options.exclude ?? [],
      delayMs: deps.config.CRAWL_DELAY_MS,
      allowPrivate: deps.config.ALLOW_PRIVATE_URLS,
      maxBytes: deps.config.KNOWLEDGE_MAX_FILE_MB * 1024 * 1024,
      timeoutMs: deps.config.FETCH_TIMEOUT_MS,
    },
    async (page) => {
      const passages = chunkMarkdown(page.markdown);
      await deps.db.transaction().execute(async (trx) => {
        const now = new Date();
        const existing = await trx
          .selectFrom('knowledge_sources')
          .select(['id', 'content_hash', 'bytes'])
          .where('parent_id', '=', crawl.id)
          .where('kind', '=', 'page')
          .where('url', '=', page.canonicalUrl)
          .forUpdate()
          .executeTakeFirst();
        if (existing && existing.content_hash === page.contentHash) {
          await trx.updateTable('knowledge_sources').set({ fetched_at: now, status: 'ready', error: null, updated_at: now }).where('id', '=', existing.id).execute();
          return;
        }
        const fields = { title: page.title, content_hash: page.contentHash, bytes: Buffer.byteLength(page.markdown), chunks: passages.length, status: 'ready' as const, error: null, fetched_at: now, updated_at: now };
        // Past the plan's knowledge limit the crawl stops here (the pages stored so far stay).
        await assertKnowledgeRoom(trx, deps, crawl.account_id, fields.bytes - Number(existing?.bytes ?? 0));
        const id = existing?.id ?? newId('src');
        if (existing) await trx.updateTable('knowledge_sources').set(fields).where('id', '=', id).execute();
        else await trx.insertInto('knowledge_sources').values({ id, account_id: crawl.account_id, bot_id: crawl.bot_id, kind: 'page', parent_id: crawl.id, url: page.canonicalUrl, ...fields }).execute();
        if (await replacePassages(trx, { id, bot_id: crawl.bot_id }, passages)) await schedulePrune(deps.jobs, crawl.bot_id, trx);
      });
    },
  );

  await deps.db.transaction().execute(async (trx) => {
    // Pages this crawl found before but not now have vanished from the site. Only a crawl that visited
    // every reachable page (not one cut short by its limits) can tell, and a page that failed for now
    // (5xx, timeout) is kept until a crawl reads it again or finds it gone.
    if (summary.stopped === 'done') {
      const keep = [...summary.seen, ...summary.errors.map((e) => e.url)];
      let gone = trx.deleteFrom('knowledge_sources').where('parent_id', '=', crawl.id).where('kind', '=', 'page');
      if (keep.length) gone = gone.where('url', 'not in', keep);
      const removed = await gone.executeTakeFirst();
      if (Number(removed.numDeletedRows)) await schedulePrune(deps.jobs, crawl.bot_id, trx);
    }
    const pages = await trx.selectFrom('knowledge_sources').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.sum<string>('chunks').as('chunks')]).where('parent_id', '=', crawl.id).executeTakeFirstOrThrow();
    await trx.updateTable('knowledge_sources').set({ rows: Number(pages.n), chunks: Number(pages.chunks ?? 0), fetched_at: new Date() }).where('id', '=', crawl.id).execute();
  });
  if (summary.pages === 0) {
    const why = summary.errors[0]?.error ?? summary.skipped[0]?.reason ?? 'no page could be read';
    throw new SourceError(`No page was stored: ${why}`);
  }
}
