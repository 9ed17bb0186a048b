import { z } from 'zod';
import { Id, PageQuery } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048);
const SourceId = Id('src', 'source');

export const SourceStatus = z.enum(['queued', 'processing', 'ready', 'failed']);

export const UploadResult = z.object({
  source_id: z.string(),
  status: SourceStatus,
  duplicate: z.boolean().describe('The same content was already uploaded to this bot: that source is returned and nothing is indexed twice'),
});

export const UploadBubbleInput = z.strictObject({ bot_id: BotId, url: HttpUrl, filename: z.string().trim().min(1).max(255).optional() });

export const ScrapeInput = z.strictObject({
  bot_id: BotId,
  url: HttpUrl,
  max_pages: z.number().int().min(1).optional().describe('Default 50; capped by the server'),
  max_depth: z.number().int().min(0).max(20).optional().describe('Links followed from the start page; default 3'),
  include: z.array(z.string().min(1).max(200)).max(20).optional().describe('Only URLs matching one of these patterns (* matches anything)'),
  exclude: z.array(z.string().min(1).max(200)).max(20).optional().describe('Never URLs matching one of these patterns'),
});
export type ScrapeInput = z.infer<typeof ScrapeInput>;
export const ScrapeResult = z.object({ source_id: z.string().describe('The crawl; its pages appear in get_pagenames as they are fetched'), status: SourceStatus });

export const AddFeedInput = z.strictObject({
  bot_id: BotId,
  url: HttpUrl,
  refresh_minutes: z.number().int().min(5).max(43_200).optional().describe('Default 60'),
});
export const FeedResult = z.object({ feed_id: z.string(), status: SourceStatus });

export const BotSourcesQuery = z.strictObject({ bot_id: BotId, ...PageQuery });

export const FileView = z.object({
  file_id: z.string(),
  filename: z.string().nullable(),
  url: z.string().nullable().describe('Where the file was fetched from (upload_bubble)'),
  bytes: z.number(),
  status: SourceStatus,
  error: z.string().nullable(),
  chunks: z.number(),
  created_at: z.string(),
});
export const PageView = z.object({
  page_id: z.string(),
  crawl_id: z.string().nullable(),
  url: z.string().nullable(),
  title: z.string().nullable(),
  status: SourceStatus,
  error: z.string().nullable(),
  chunks: z.number(),
  fetched_at: z.string().nullable(),
});
export const FeedView = z.object({
  feed_id: z.string(),
  url: z.string().nullable(),
  refresh_minutes: z.number().nullable(),
  rows: z.number().nullable(),
  status: SourceStatus,
  error: z.string().nullable(),
  last_refreshed_at: z.string().nullable(),
  next_refresh_at: z.string().nullable(),
});

export const DeleteFileInput = z.strictObject({ bot_id: BotId, file_id: SourceId.optional(), filename: z.string().min(1).max(255).optional() });
export const DeletePageInput = z.strictObject({ bot_id: BotId, page_id: SourceId.optional(), url: z.string().min(1).max(2048).optional() });
export const DeleteFeedInput = z.strictObject({ bot_id: BotId, feed_id: SourceId });
export const RefreshInput = z.strictObject({ bot_id: BotId, source_id: SourceId });
export const Deleted = z.object({ deleted: z.number().describe('Sources removed (a crawl removes its pages too)') });
export const Refreshed = z.object({ source_id: z.string(), status: SourceStatus });

export const SearchQuery = z.strictObject({
  bot_id: BotId,
  query: z.string().trim().min(1).max(1000),
  limit: z.coerce.number().int().min(1).max(50).optional(),
});
export const SearchResult = z.object({
  data: z.array(
    z.object({
      chunk_id: z.string(),
      source_id: z.string(),
      kind: z.string(),
      title: z.string().nullable(),
      filename: z.string().nullable(),
      url: z.string().nullable(),
      heading: z.string().nullable(),
      content: z.string(),
      tokens: z.number(),
      score: z.number(),
    }),
  ),
});
