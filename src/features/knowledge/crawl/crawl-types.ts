import type { PrivateAddressPolicy } from '../../../core/net/safe-fetch.js';

export interface CrawlOptions {
  /** Where the crawl starts. Its redirects may lead to another site; the site is where it lands. */
  startUrl: string;
  /** Pages stored (onPage calls) at most. Default 50. The caller applies its own hard cap. */
  maxPages?: number;
  /** Link hops from the start page; sitemap entries count as one hop. Default: no limit (maxPages bounds the crawl). */
  maxDepth?: number;
  /** URL patterns, see url-patterns.ts: `*` globs on the path (or full URL), otherwise substrings of the URL. */
  include?: string[];
  exclude?: string[];
  /** Requests in flight to the site at once. Default 2. */
  perHostConcurrency?: number;
  /** Least time between the starts of two requests to the site. Default 500; 0 for tests and benchmarks. */
  delayMs?: number;
  /** A robots.txt Crawl-delay larger than delayMs is honoured up to this. Default 30 s. */
  maxCrawlDelayMs?: number;
  /** ALLOW_PRIVATE_URLS, or a per-target decision (see safe-agent.ts). Default false. */
  allowPrivate?: PrivateAddressPolicy;
  /** Largest page accepted. Default 5 MB. */
  maxBytes?: number;
  /** Per request, everything included. Default 20 s. */
  timeoutMs?: number;
  /** Page requests at most (robots.txt and sitemaps not counted), for sites full of duplicates or dead links. Default maxPages × 3 + 10. */
  maxFetches?: number;
  /** Page URLs taken from sitemaps at most. Default 1000. */
  maxSitemapUrls?: number;
  /** Cancels the crawl: requests in flight are aborted and crawlSite resolves with `stopped: 'cancelled'`. */
  signal?: AbortSignal;
}

export interface CrawledPage {
  /** The URL the page was fetched from (after redirects). */
  url: string;
  /** The page's identity: its same-site rel=canonical when it has one, else `url`. Store pages under this. */
  canonicalUrl: string;
  title: string | null;
  markdown: string;
  /** sha256 of the whitespace-normalised markdown: unchanged pages hash the same on a re-crawl. */
  contentHash: string;
  depth: number;
}

/**
 * Why the crawl ended. Only 'done' means every reachable page was visited, so only then may pages
 * missing from `seen` be taken as gone from the site.
 */
export type CrawlStop = 'done' | 'max_pages' | 'max_fetches' | 'cancelled';

export interface CrawlSummary {
  pages: number;
  /** Left out on purpose (robots.txt, duplicates, not HTML, 4xx, off-site redirects, noindex). At most 500 listed. */
  skipped: Array<{ url: string; reason: string }>;
  /** Could not be read (network, timeouts, 5xx, refused addresses, redirect loops). At most 500 listed. A start URL that
   *  yields no page is always here, so `errors[0]` explains an empty crawl. */
  errors: Array<{ url: string; error: string }>;
  /** canonicalUrl of every stored page. */
  seen: string[];
  stopped: CrawlStop;
}

export type OnPage = (page: CrawledPage) => Promise<void> | void;
