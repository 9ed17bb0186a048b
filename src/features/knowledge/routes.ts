import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { DomainError, invalid } from '../../core/errors.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';
import * as S from './schemas.js';
import { addFeed, deleteFeed, deleteFile, deletePage, listFeeds, listFiles, listPages, refreshSource, scrapeWebsite, searchKnowledge, uploadFile, uploadFromUrl } from './sources-service.js';

const tag = 'Training';

/** Reads the multipart form: the `bot_id` field and one `file`, refusing a file over the limit as soon as it passes it. */
async function readUpload(req: FastifyRequest, maxBytes: number) {
  if (!req.isMultipart()) throw new DomainError('unsupported_media', 'unsupported_content_type', 'Send the file as multipart/form-data with the fields bot_id and file.');
  let botId: string | null = null;
  let file: { filename: string; mime: string | null; bytes: Buffer } | null = null;
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 4, fieldSize: 1024 } })) {
      if (part.type === 'field') {
        if (part.fieldname !== 'bot_id') throw invalid(part.fieldname, `Unknown field ${part.fieldname}; send bot_id and file.`, 'unknown_parameter');
        botId = String(part.value);
      } else {
        if (part.fieldname !== 'file') throw invalid(part.fieldname, `Unknown file field ${part.fieldname}; send the file as "file".`, 'unknown_parameter');
        file = { filename: part.filename || 'upload', mime: part.mimetype || null, bytes: await part.toBuffer() };
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    if ((err as { code?: string }).code === 'FST_FILES_LIMIT') throw invalid('file', 'Send one file per upload.');
    if (err instanceof DomainError) throw err;
    // Only the form is read in here: anything else that fails is a malformed body (no boundary, cut short).
    throw new DomainError('invalid_request', 'invalid_multipart', `The multipart body could not be read: ${(err as Error).message}.`);
  }
  const parsedBot = BotId.safeParse(botId ?? undefined);
  if (botId === null) throw invalid('bot_id', 'bot_id is required.', 'missing_parameter');
  if (!parsedBot.success) throw invalid('bot_id', parsedBot.error.issues[0]!.message);
  if (!file) throw invalid('file', 'file is required.', 'missing_parameter');
  return { botId: parsedBot.data, file };
}

const tooLarge = (maxBytes: number) => new DomainError('too_large', 'file_too_large', `The file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit.`, 'file');

export function knowledgeRoutes(deps: AppDeps) {
  const maxBytes = deps.config.KNOWLEDGE_MAX_FILE_MB * 1024 * 1024;
  return async (fastify: FastifyInstance) => {
    await fastify.register(multipart, { limits: { fileSize: maxBytes } });
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/upload', {
      config: { auth: 'admin' },
      // A declared length over the limit is refused before any of the body is read.
      preValidation: async (req) => {
        if (Number(req.headers['content-length'] ?? 0) > maxBytes + 64 * 1024) throw tooLarge(maxBytes);
      },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Upload a file to a bot\'s knowledge (multipart: bot_id, file)',
          ok: S.UploadResult,
          extraErrors: [413, 415],
          description: 'Types: PDF (text layer), DOCX, TXT, Markdown, HTML, CSV, JSON, recognised from the content. Parsing and indexing run in the background: watch `status` in get_filenames. The same bytes uploaded again return the first source with `duplicate: true`.',
        }),
        consumes: ['multipart/form-data'],
      },
    }, async (req) => {
      const { botId, file } = await readUpload(req, maxBytes);
      return uploadFile(ctxOf(req), { botId, ...file });
    });

    app.post('/upload_bubble', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Add a file by URL (fetched, then handled as /upload)', ok: S.UploadResult }), body: S.UploadBubbleInput },
    }, (req) => uploadFromUrl({ ctx: ctxOf(req), input: req.body }));

    app.post('/scrape_website', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Crawl a site into the bot\'s knowledge (same site, robots.txt honoured, sitemap used)', ok: S.ScrapeResult }), body: S.ScrapeInput },
    }, (req) => scrapeWebsite({ ctx: ctxOf(req), input: req.body }));

    app.post('/add_feed', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Add a CSV or JSON feed; its rows become passages, refreshed on schedule', ok: S.FeedResult }), body: S.AddFeedInput },
    }, (req) => addFeed({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_filenames', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Uploaded files with their status', ok: page(S.FileView) }), querystring: S.BotSourcesQuery },
    }, (req) => listFiles({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_pagenames', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Scraped pages with their status', ok: page(S.PageView) }), querystring: S.BotSourcesQuery },
    }, (req) => listPages({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_feeds', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Feeds with their status and refresh times', ok: page(S.FeedView) }), querystring: S.BotSourcesQuery },
    }, (req) => listFeeds({ ctx: ctxOf(req), input: req.query }));

    app.post('/delete_file', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Delete a file; its passages leave retrieval at once', ok: S.Deleted }), body: S.DeleteFileInput },
    }, (req) => deleteFile({ ctx: ctxOf(req), input: req.body }));

    app.post('/delete_page', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Delete a page (or a whole crawl by its id)', ok: S.Deleted }), body: S.DeletePageInput },
    }, (req) => deletePage({ ctx: ctxOf(req), input: req.body }));

    app.post('/delete_feed', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Delete a feed and its passages', ok: S.Deleted }), body: S.DeleteFeedInput },
    }, (req) => deleteFeed({ ctx: ctxOf(req), input: req.body }));

    app.post('/refresh_source', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Fetch and index a source again now', ok: S.Refreshed }), body: S.RefreshInput },
    }, (req) => refreshSource({ ctx: ctxOf(req), input: req.body }));

    app.get('/search_knowledge', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'What the bot would read for a query: ranked passages with scores', ok: S.SearchResult }), querystring: S.SearchQuery },
    }, (req) => searchKnowledge({ ctx: ctxOf(req), input: req.query }));
  };
}

