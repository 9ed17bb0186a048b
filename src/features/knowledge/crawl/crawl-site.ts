import { FetchError, safeFetch, type SafeFetchOptions, type SafeResponse } from '../../../core/net/safe-fetch.js';
import { htmlToMarkdown } from '../parsers/html.js';
import { contentHash } from './content-hash.js';
import type { CrawlOptions, CrawlStop, CrawlSummary, OnPage } from './crawl-types.js';
import { decodeHtml } from './decode-html.js';
import { HostGate } from './host-gate.js';
import { headerNoindex, readPageLinks } from './page-links.js';
import { ROBOTS_MAX_BYTES, robotsFromResponse, type RobotsRules } from './robots.js';
import { collectSitemapUrls, MAX_SITEMAP_FILES, SITEMAP_MAX_BYTES, sitemapText } from './sitemap.js';
import { fileKind, isHtmlType, normalizeUrl, siteKey } from './site-urls.js';
import { compileUrlFilter, type UrlFilter } from './url-patterns.js';

const MAX_REDIRECTS = 5;
const MAX_REPORTED = 500;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Item {
  url: URL;
  depth: number;
  /** URLs that redirected here, to catch loops. */
  chain: string[];
  /** Part of the start URL's redirect chain: may leave the site, and fails loudly. */
  start: boolean;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const looksLikeHtml = (text: string) => /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype html|html|head|body)[\s>]/i.test(text);

/**
 * A polite crawl of one site, independent of storage: each page that should be kept is handed to
 * `onPage` as it arrives (awaited, one at a time, never more than maxPages), and a summary comes
 * back at the end. Rules: same site only (site-urls.ts), robots.txt for `sinth` (robots.ts), sitemap
 * seeding (sitemap.ts), include/exclude patterns (url-patterns.ts), per-host concurrency and delay
 * (host-gate.ts), canonical URLs and duplicate content skipped, HTML only.
 *
 * Redirects are followed here, one hop per request through the host gate (so hops are paced like
 * any request), each hop re-checked by safeFetch for scheme and address at connect time, and for
 * site, robots and patterns here. An error from onPage stops the crawl and is rethrown.
 */
export function crawlSite(options: CrawlOptions, onPage: OnPage): Promise<CrawlSummary> {
  return new SiteCrawl(options, onPage).run();
}

class SiteCrawl {
  private readonly maxPages: number;
  private readonly maxDepth: number;
  private readonly maxFetches: number;
  private readonly concurrency: number;
  private readonly filter: UrlFilter;
  private readonly gate: HostGate;
  private readonly controller = new AbortController();
  private readonly robots = new Map<string, Promise<RobotsRules>>();
  private readonly queue: Item[] = [];
  private readonly visited = new Set<string>();
  private readonly storedCanonicals = new Set<string>();
  private readonly hashes = new Map<string, string>();
  private readonly skipped: CrawlSummary['skipped'] = [];
  private readonly errors: CrawlSummary['errors'] = [];
  private readonly seen: string[] = [];
  /** Where the start URL landed, and its site (site-urls.ts): set once, then every other URL is judged against it. */
  private home: URL | null = null;
  private site: string | null = null;
  private fetches = 0;
  private fatal: { error: unknown } | null = null;
  private storing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: CrawlOptions,
    private readonly onPage: OnPage,
  ) {
    this.maxPages = Math.max(0, options.maxPages ?? 50);
    this.maxDepth = options.maxDepth ?? Infinity;
    this.maxFetches = options.maxFetches ?? this.maxPages * 3 + 10;
    this.concurrency = Math.max(1, options.perHostConcurrency ?? 2);
    this.filter = compileUrlFilter(options.include, options.exclude);
    this.gate = new HostGate(this.concurrency, Math.max(0, options.delayMs ?? 500));
  }

  private get signal() {
    return this.controller.signal;
  }

  async run(): Promise<CrawlSummary> {
    const outer = this.options.signal;
    const cancel = () => this.controller.abort(outer?.reason);
    if (outer?.aborted) cancel();
    outer?.addEventListener('abort', cancel, { once: true });
    try {
      await this.crawl();
    } catch (err) {
      // Cancellation surfaces as the abort reason from wherever the crawl was waiting; it is not a failure.
      if (!this.signal.aborted) throw err;
    } finally {
      outer?.removeEventListener('abort', cancel);
    }
    if (this.fatal) throw this.fatal.error;
    return this.summary();
  }

  private async crawl(): Promise<void> {
    const start = normalizeUrl(this.options.startUrl.trim());
    if (!start) return this.fail(this.options.startUrl, `Not an http or https URL: ${this.options.startUrl}`);
    this.visited.add(start.href);
    this.queue.push({ url: start, depth: 0, chain: [], start: true });
    // The start URL's redirect chain runs alone: the site is only known once it lands on a page.
    while (!this.home && this.queue.length > 0 && !this.signal.aborted) await this.process(this.queue.shift()!);
    if (!this.home || this.maxPages === 0) return;
    await this.seedFromSitemaps(this.home);
    await this.drain();
  }

  private summary(): CrawlSummary {
    let stopped: CrawlStop = 'done';
    if (this.options.signal?.aborted) stopped = 'cancelled';
    else if (this.queue.length > 0 && this.seen.length >= this.maxPages) stopped = 'max_pages';
    else if (this.queue.length > 0 && this.fetches >= this.maxFetches) stopped = 'max_fetches';
    return { pages: this.seen.length, skipped: this.skipped, errors: this.errors, seen: this.seen, stopped };
  }

  private async drain(): Promise<void> {
    const active = new Set<Promise<void>>();
    for (;;) {
      while (
        !this.signal.aborted &&
        active.size < this.concurrency &&
        this.queue.length > 0 &&
        this.seen.length + active.size < this.maxPages &&
        this.fetches < this.maxFetches
      ) {
        const task: Promise<void> = this.process(this.queue.shift()!).finally(() => active.delete(task));
        active.add(task);
      }
      if (active.size === 0) return;
      await Promise.race(active);
    }
  }

  private skip(url: string, reason: string, start = false) {
    if (start) return this.fail(url, reason);
    if (this.skipped.length < MAX_REPORTED) this.skipped.push({ url, reason });
  }

  private fail(url: string, error: string) {
    if (this.errors.length < MAX_REPORTED) this.errors.push({ url, error });
  }

  /** Queues a link or sitemap entry if the crawl should visit it; robots.txt is checked when it is dequeued. */
  private admit(url: URL, depth: number): void {
    if (siteKey(url) !== this.site || depth > this.maxDepth || this.visited.has(url.href)) return;
    const kind = fileKind(url);
    if (kind === 'asset' || !this.filter(url)) return;
    this.visited.add(url.href);
    if (kind === 'document') return this.skip(url.href, 'Not an HTML page: PDFs and other files are not crawled yet (upload them instead).');
    this.queue.push({ url, depth, chain: [], start: false });
  }

  private fetch(url: URL, extra: SafeFetchOptions): Promise<SafeResponse> {
    return this.gate.run(siteKey(url), this.signal, () =>
      safeFetch(url.href, {
        allowPrivate: this.options.allowPrivate ?? false,
        maxBytes: this.options.maxBytes ?? 5 * 1024 * 1024,
        timeoutMs: this.options.timeoutMs ?? 20_000,
        signal: this.signal,
        ...extra,
      }),
    );
  }

  private robotsFor(url: URL): Promise<RobotsRules> {
    let rules = this.robots.get(url.origin);
    if (!rules) {
      const robotsUrl = new URL('/robots.txt', url.origin);
      rules = this.fetch(robotsUrl, { maxBytes: ROBOTS_MAX_BYTES }).then(
        (res) => robotsFromResponse(robotsUrl.href, res),
        (err: unknown) => {
          if (this.signal.aborted) throw err;
          return robotsFromResponse(robotsUrl.href, err instanceof Error ? err : new Error(message(err)));
        },
      );
      rules = rules.then((r) => {
        const cap = this.options.maxCrawlDelayMs ?? 30_000;
        if (r.crawlDelayMs) this.gate.raiseDelay(siteKey(url), Math.min(r.crawlDelayMs, cap));
        return r;
      });
      this.robots.set(url.origin, rules);
    }
    return rules;
  }

  /** Fetches one URL and acts on the answer. Never rejects: failures are recorded, cancellation just returns. */
  private async process(item: Item): Promise<void> {
    const { url } = item;
    try {
      const rules = await this.robotsFor(url);
      if (!rules.isAllowed(url)) return this.skip(url.href, rules.refusal ?? `robots.txt does not allow sinth to crawl ${url.href}.`, item.start);
      // Back in the queue, so the summary knows the crawl was cut short.
      if (this.fetches >= this.maxFetches) return void this.queue.unshift(item);
      this.fetches++;
      const res = await this.fetch(url, {
        maxRedirects: 0,
        acceptBody: (h) => h.status >= 200 && h.status < 300 && (h.contentType === null || isHtmlType(h.contentType)),
      });
      if (REDIRECT_STATUSES.has(res.status) && res.headers.location !== undefined) return this.redirect(item, res.headers.location);
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return this.skip(url.href, `${url.href} answered HTTP ${res.status}.`, item.start);
      if (res.status < 200 || res.status >= 300) return this.fail(url.href, `${url.href} answered HTTP ${res.status}.`);
      if (res.bodySkipped) {
        return this.skip(url.href, `Not an HTML page (${res.contentType}): PDFs and other files are not crawled yet (upload them instead).`, item.start);
      }
      const html = decodeHtml(res.body, res.headers['content-type']);
      if (res.contentType === null && !looksLikeHtml(html)) return this.skip(url.href, 'Not an HTML page (no Content-Type).', item.start);
      if (item.start) {
        this.home = url;
        this.site = siteKey(url);
      }
      await this.page(item, html, res);
    } catch (err) {
      if (this.signal.aborted) return;
      this.fail(url.href, err instanceof FetchError ? err.message : `Could not crawl ${url.href}: ${message(err)}`);
    }
  }

  private redirect(item: Item, location: string): void {
    const from = item.url.href;
    const target = normalizeUrl(location, item.url);
    if (!target) return this.fail(from, `${from} redirects to an invalid or non-http(s) URL.`);
    const chain = [...item.chain, from];
    if (chain.includes(target.href)) return this.fail(chain[0]!, `Redirect loop: ${[...chain, target.href].join(' → ')}.`);
    if (chain.length > MAX_REDIRECTS) return this.fail(chain[0]!, `Too many redirects (more than ${MAX_REDIRECTS}) starting at ${chain[0]}.`);
    if (!item.start) {
      if (siteKey(target) !== this.site) return this.skip(from, `Redirects off-site to ${target.href}.`);
      if (!this.filter(target)) return this.skip(from, `Redirects to ${target.href}, which the include/exclude patterns leave out.`);
      if (fileKind(target) !== 'page') return this.skip(from, `Redirects to ${target.href}, which is not an HTML page.`);
      if (this.visited.has(target.href)) return this.skip(from, `Redirects to ${target.href}, already crawled.`);
    }
    this.visited.add(target.href);
    // At the front: a redirect finishes before new pages start.
    this.queue.unshift({ url: target, depth: item.depth, chain, start: item.start });
  }

  private async page(item: Item, html: string, res: SafeResponse): Promise<void> {
    const url = new URL(res.url);
    const meta = readPageLinks(html, url);
    if (!meta.nofollow && item.depth < this.maxDepth) for (const link of meta.links) this.admit(link, item.depth + 1);
    if (meta.noindex || headerNoindex(res.headers['x-robots-tag'])) return this.skip(url.href, 'The page asks not to be indexed (noindex).');
    // The start page is always read for its links, but kept only if the patterns take it.
    if (!this.filter(url)) return;
    const { title, markdown } = htmlToMarkdown(html, url.href);
    const canonical = await this.trustedCanonical(meta.canonical, url);
    await this.store(url, canonical, title, markdown, item.depth);
  }

  /** rel=canonical is the page's own claim; believed only when it points within the site, at a URL we may crawl. */
  private async trustedCanonical(canonical: URL | null, url: URL): Promise<URL> {
    if (!canonical || canonical.href === url.href) return url;
    if (siteKey(canonical) !== this.site || !this.filter(canonical) || fileKind(canonical) !== 'page') return url;
    return (await this.robotsFor(canonical)).isAllowed(canonical) ? canonical : url;
  }

  /** One store at a time, so the dedupe checks and the page count are exact and onPage needs no locking. */
  private store(url: URL, canonical: URL, title: string | null, markdown: string, depth: number): Promise<void> {
    const run = this.storing.then(async () => {
      if (this.signal.aborted || this.seen.length >= this.maxPages) return;
      if (this.storedCanonicals.has(canonical.href)) return this.skip(url.href, `Duplicate: its canonical URL ${canonical.href} is already stored.`);
      const text = markdown.trim();
      if (!text) return this.skip(url.href, 'No text found on the page.');
      const hash = contentHash(text);
      const first = this.hashes.get(hash);
      if (first) return this.skip(url.href, `Duplicate: same content as ${first}.`);
      this.storedCanonicals.add(canonical.href);
      this.hashes.set(hash, canonical.href);
      this.visited.add(canonical.href);
      this.seen.push(canonical.href);
      try {
        await this.onPage({ url: url.href, canonicalUrl: canonical.href, title, markdown: text, contentHash: hash, depth });
      } catch (error) {
        this.fatal ??= { error };
        this.controller.abort(error);
      }
    });
    this.storing = run;
    return run;
  }

  /** Sitemaps named in robots.txt (same site only), else /sitemap.xml; their pages join the queue at depth 1. */
  private async seedFromSitemaps(home: URL): Promise<void> {
    if (this.maxDepth < 1) return;
    const rules = await this.robotsFor(home);
    const sameSite = (loc: string) => {
      const url = normalizeUrl(loc);
      return url !== null && siteKey(url) === this.site;
    };
    const named = rules.sitemaps.filter(sameSite);
    const roots = named.length > 0 ? named : [new URL('/sitemap.xml', home.origin).href];
    const fetchText = async (loc: string): Promise<string | null> => {
      const url = new URL(loc);
      const report = named.includes(loc);
      if (!(await this.robotsFor(url)).isAllowed(url)) return null;
      try {
        const res = await this.fetch(url, { maxBytes: SITEMAP_MAX_BYTES });
        if (res.status !== 200) {
          if (report) this.skip(loc, `Sitemap answered HTTP ${res.status}.`);
          return null;
        }
        return await sitemapText(res.body);
      } catch (err) {
        if (this.signal.aborted) throw err;
        if (report) this.skip(loc, `Sitemap could not be read: ${message(err)}`);
        return null;
      }
    };
    const urls = await collectSitemapUrls(roots, fetchText, sameSite, {
      maxFiles: MAX_SITEMAP_FILES,
      maxUrls: this.options.maxSitemapUrls ?? 1000,
    });
    for (const loc of urls) this.admit(normalizeUrl(loc)!, 1);
  }
}
