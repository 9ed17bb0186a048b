import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  FetchError,
  FetchTimeoutError,
  FetchTooLargeError,
  TooManyRedirectsError,
  isPrivateAddress,
  safeFetch,
  type PrivateAddressPolicy,
} from '../src/core/net/safe-fetch.js';
import { compileUrlFilter, crawlSite, type CrawledPage, type CrawlOptions } from '../src/features/knowledge/crawl/index.js';
import { headerNoindex } from '../src/features/knowledge/crawl/page-links.js';
import { parseSitemap, sitemapText } from '../src/features/knowledge/crawl/sitemap.js';
import { siteKey } from '../src/features/knowledge/crawl/site-urls.js';
import { page, startFakeSite, type FakeSite } from './support/fake-site.js';

const text = (body: string, type = 'text/plain') => ({ body, headers: { 'content-type': type } });
const redirect = (location: string, status = 302) => ({ status, headers: { location } });

describe('isPrivateAddress', () => {
  it.each([
    ...['0.0.0.0', '10.1.2.3', '100.64.0.1', '100.127.255.255', '127.0.0.1', '127.255.255.254', '169.254.169.254'],
    ...['172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.168.1.1', '198.18.0.1', '224.0.0.1', '239.255.255.250'],
    ...['240.0.0.1', '255.255.255.255', '::', '::1', '[::1]', 'fe80::1', 'fe80::1%eth0', 'fec0::1', 'fc00::1', 'fd12:3456::1', 'ff02::1'],
    ...['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '64:ff9b::a00:1'],
    ...['2002:7f00:1::1', '2001::1', '2001:db8::1', '100::1'],
    // Not an IP literal at all: fail closed.
    ...['localhost', '', '1.2.3', '127.1', '1.2.3.256', 'fe80::1::2'],
  ])('%s is not public', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each([
    ...['8.8.8.8', '1.1.1.1', '93.184.216.34', '11.0.0.1', '100.128.0.1', '172.32.0.1', '192.169.0.1', '223.255.255.255'],
    ...['2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '[2a00:1450::1]'],
  ])('%s is public', (ip) => expect(isPrivateAddress(ip)).toBe(false));
});

describe('safeFetch', () => {
  let site: FakeSite;
  let other: FakeSite;
  let onlySite: PrivateAddressPolicy;
  let both: PrivateAddressPolicy;
  let streamed = { bytes: 0, closed: false };

  beforeAll(async () => {
    other = await startFakeSite({
      '/secret': text('internal secret'),
      '/echo': (req, res) => res.end(`auth=${req.headers.authorization ?? ''}`),
    });
    site = await startFakeSite({
      '/hello': text('<p>hi</p>', 'text/html; charset=utf-8'),
      '/to-other': redirect(`${other.origin}/secret`),
      '/to-other-echo': redirect(`${other.origin}/echo`),
      '/loop-a': redirect('/loop-b'),
      '/loop-b': redirect('/loop-a'),
      '/to-ftp': redirect('ftp://example.com/file'),
      '/gz': { body: gzipSync('<h1>zipped</h1>'), headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' } },
      '/bomb': { body: gzipSync(Buffer.alloc(20 * 1024 * 1024)), headers: { 'content-encoding': 'gzip' } },
      '/declared-huge': (_req, res) => {
        res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
        res.write(Buffer.alloc(1024));
      },
      '/huge': (_req, res) => {
        // Up to 1 GB, as fast as the client reads: only an early abort keeps this cheap.
        const chunk = Buffer.alloc(16 * 1024, 97);
        res.on('close', () => (streamed.closed = true));
        res.writeHead(200, { 'content-type': 'text/plain' });
        const pump = () => {
          while (!res.destroyed && streamed.bytes < 1024 ** 3) {
            streamed.bytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
      },
      '/hang': () => {},
      '/stall': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      },
    });
    for (let i = 0; i < 10; i++) site.route(`/chain/${i}`, redirect(`/chain/${i + 1}`));
    onlySite = (t) => t.port === site.port;
    both = (t) => t.port === site.port || t.port === other.port;
  });
  afterAll(async () => {
    await site.close();
    await other.close();
  });
  beforeEach(() => {
    site.requests.length = 0;
    other.requests.length = 0;
  });

  it('refuses loopback by IP, by name and in IPv6 forms when private URLs are not allowed, before any request', async () => {
    for (const url of [`${site.origin}/hello`, `http://localhost:${site.port}/hello`, `http://[::ffff:127.0.0.1]:${site.port}/hello`, `http://[::1]:${site.port}/hello`]) {
      const err = await safeFetch(url).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(BlockedAddressError);
      expect((err as Error).message).toContain('ALLOW_PRIVATE_URLS');
    }
    const named = (await safeFetch(`http://localhost:${site.port}/hello`).catch((e: unknown) => e)) as BlockedAddressError;
    expect(named.message).toMatch(/localhost \((127\.0\.0\.1|::1)\)/);
    expect(site.requests).toHaveLength(0);
  });

  it('fetches when private URLs are allowed, with the sinth user agent', async () => {
    const res = await safeFetch(`${site.origin}/hello`, { allowPrivate: true });
    expect(res).toMatchObject({ status: 200, url: `${site.origin}/hello`, contentType: 'text/html', redirects: [], bodySkipped: false });
    expect(res.body.toString()).toBe('<p>hi</p>');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(site.requests[0]!.headers['user-agent']).toMatch(/^sinth\/\d/);
  });

  it('re-checks every redirect target: a trusted server cannot redirect to another private address', async () => {
    const err = await safeFetch(`${site.origin}/to-other`, { allowPrivate: onlySite }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect((err as Error).message).toContain(`${other.origin}/secret`);
    expect(site.paths()).toEqual(['/to-other']);
    expect(other.requests).toHaveLength(0);
  });

  it('follows allowed redirects, reports the chain, and drops credentials when the origin changes', async () => {
    const res = await safeFetch(`${site.origin}/to-other-echo`, { allowPrivate: both, headers: { Authorization: 'Bearer secret' } });
    expect(res.url).toBe(`${other.origin}/echo`);
    expect(res.redirects).toEqual([`${site.origin}/to-other-echo`]);
    expect(res.body.toString()).toBe('auth=');
    expect(site.requests[0]!.headers.authorization).toBe('Bearer secret');
  });

  it('stops after maxRedirects hops, catches loops, and can hand back the 3xx instead', async () => {
    const tooMany = await safeFetch(`${site.origin}/chain/0`, { allowPrivate: true, maxRedirects: 3 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(TooManyRedirectsError);
    expect((tooMany as TooManyRedirectsError).loop).toBe(false);
    expect(site.paths()).toEqual(['/chain/0', '/chain/1', '/chain/2', '/chain/3']);

    const loop = await safeFetch(`${site.origin}/loop-a`, { allowPrivate: true }).catch((e: unknown) => e);
    expect(loop).toBeInstanceOf(TooManyRedirectsError);
    expect((loop as Error).message).toMatch(/^Redirect loop: .*\/loop-a → .*\/loop-b → .*\/loop-a\.$/);

    const raw = await safeFetch(`${site.origin}/loop-a`, { allowPrivate: true, maxRedirects: 0 });
    expect(raw.status).toBe(302);
    expect(raw.headers.location).toBe('/loop-b');
  });

  it('refuses schemes other than http and https, also as a redirect target', async () => {
    await expect(safeFetch('file:///etc/passwd', { allowPrivate: true })).rejects.toThrow(/Only http and https/);
    const err = await safeFetch(`${site.origin}/to-ftp`, { allowPrivate: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as Error).message).toContain('ftp:');
  });

  it('aborts a huge body as soon as it passes the limit', async () => {
    streamed = { bytes: 0, closed: false };
    const started = Date.now();
    const err = await safeFetch(`${site.origin}/huge`, { allowPrivate: true, maxBytes: 64 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchTooLargeError);
    expect((err as Error).message).toMatch(/too large.*64 KB/);
    await expect.poll(() => streamed.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The server would have sent 1 GB; socket buffers hold a few MB at most.
    expect(streamed.bytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses a declared Content-Length over the limit, and a compression bomb', async () => {
    await expect(safeFetch(`${site.origin}/declared-huge`, { allowPrivate: true, maxBytes: 1024 * 1024 })).rejects.toThrow(FetchTooLargeError);
    await expect(safeFetch(`${site.origin}/bomb`, { allowPrivate: true, maxBytes: 1024 * 1024 })).rejects.toThrow(FetchTooLargeError);
    const gz = await safeFetch(`${site.origin}/gz`, { allowPrivate: true });
    expect(gz.body.toString()).toBe('<h1>zipped</h1>');
  });

  it('times out on a server that never answers, and on a body that stalls', async () => {
    const started = Date.now();
    const headers = await safeFetch(`${site.origin}/hang`, { allowPrivate: true, headersTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(headers).toBeInstanceOf(FetchTimeoutError);
    expect((headers as FetchTimeoutError).phase).toBe('headers');
    const total = await safeFetch(`${site.origin}/stall`, { allowPrivate: true, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(total).toBeInstanceOf(FetchTimeoutError);
    expect((total as Error).message).toMatch(/^Timed out after 300 ms fetching http:\/\/127\.0\.0\.1:\d+\/stall\.$/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects with the abort reason, not a FetchError, when cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await safeFetch(`${site.origin}/hang`, { allowPrivate: true, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(FetchError);
    expect((err as Error).name).toBe('AbortError');
  });
});

describe('crawl helpers', () => {
  it('treats www and apex, http and https as one site; other ports and subdomains as others', () => {
    expect(siteKey(new URL('https://www.example.com/a'))).toBe(siteKey(new URL('http://example.com/b')));
    expect(siteKey(new URL('http://example.com:8080/'))).not.toBe(siteKey(new URL('http://example.com/')));
    expect(siteKey(new URL('https://docs.example.com/'))).not.toBe(siteKey(new URL('https://example.com/')));
  });

  it('matches include/exclude patterns as globs with * and as substrings without', () => {
    const f = compileUrlFilter(['/docs/*', 'https://example.com/*.html', 'lang=fr'], ['/docs/internal/*', 'draft']);
    const ok = (u: string) => f(new URL(u));
    expect(ok('https://example.com/docs/a/b?x=1')).toBe(true);
    expect(ok('https://example.com/docs')).toBe(false);
    expect(ok('https://example.com/blog/post.html')).toBe(true);
    expect(ok('https://example.com/blog/post?lang=fr')).toBe(true);
    expect(ok('https://example.com/blog/post')).toBe(false);
    expect(ok('https://example.com/docs/internal/x')).toBe(false);
    expect(ok('https://example.com/docs/draft-1')).toBe(false);
    expect(compileUrlFilter()(new URL('https://example.com/anything'))).toBe(true);
  });

  it('reads sitemap indexes, url sets with entities and CDATA, and plain-text sitemaps', () => {
    expect(parseSitemap('<?xml version="1.0"?><sitemapindex><sitemap><loc> https://e.com/s1.xml </loc></sitemap></sitemapindex>')).toEqual({
      kind: 'index',
      locations: ['https://e.com/s1.xml'],
    });
    expect(parseSitemap('<urlset><url><loc>https://e.com/?a=1&amp;b=2</loc></url><url><loc><![CDATA[https://e.com/c]]></loc></url></urlset>').locations).toEqual([
      'https://e.com/?a=1&b=2',
      'https://e.com/c',
    ]);
    expect(parseSitemap('https://e.com/a\nnot a url\nhttps://e.com/b\n').locations).toEqual(['https://e.com/a', 'https://e.com/b']);
  });

  it('unzips a gzipped sitemap file', async () => {
    expect(await sitemapText(gzipSync('<urlset></urlset>'))).toBe('<urlset></urlset>');
    expect(await sitemapText(Buffer.from('plain'))).toBe('plain');
  });

  it('honours X-Robots-Tag noindex for all crawlers or for sinth, not for others', () => {
    expect(headerNoindex('noindex')).toBe(true);
    expect(headerNoindex('sinth: noindex')).toBe(true);
    expect(headerNoindex('googlebot: noindex')).toBe(false);
    expect(headerNoindex('googlebot: nofollow, sinth: none')).toBe(true);
    expect(headerNoindex('unavailable_after: 2030-01-01, nosnippet')).toBe(false);
    expect(headerNoindex(undefined)).toBe(false);
  });
});


/**
 * The web, for the crawler: `site` is the site being crawled and `other` a second server on the
 * same machine that nothing may reach. Both are on 127.0.0.1, so the crawl runs with an address
 * policy that trusts the site's port only, as an allow-list would in production; `other` stays a
 * private address the crawl must never touch.
 */
describe('crawlSite', () => {
  let site: FakeSite;
  let other: FakeSite;
  let trustSite: PrivateAddressPolicy;

  const dup = page('Pricing', 'Plans start at 10 euros a month, billed yearly.', ['/']);
  const crawl = async (options: Partial<CrawlOptions> = {}, startPath = '/') => {
    const pages: CrawledPage[] = [];
    const summary = await crawlSite({ startUrl: `${site.origin}${startPath}`, allowPrivate: trustSite, delayMs: 0, ...options }, (p) => {
      pages.push(p);
    });
    const byPath = new Map(pages.map((p) => [new URL(p.canonicalUrl).pathname, p]));
    return { summary, pages, byPath, stored: [...byPath.keys()].sort() };
  };

  beforeAll(async () => {
    other = await startFakeSite({ '/secret': text('internal secret', 'text/html'), '/sitemap.xml': text('<urlset></urlset>', 'application/xml') });
    site = await startFakeSite();
    trustSite = (t) => t.port === site.port;
    const o = site.origin;
    const routes: Record<string, Parameters<FakeSite['route']>[1]> = {
      // sinth has its own group, so the "*" group's Disallow: / must not apply to it.
      '/robots.txt': text(`User-agent: *\nDisallow: /\n\nUser-agent: sinth\nDisallow: /private\n\nSitemap: ${o}/sitemap.xml\nSitemap: ${other.origin}/sitemap.xml\n`),
      '/sitemap.xml': text(`<?xml version="1.0"?><sitemapindex><sitemap><loc>${o}/sitemap-pages.xml</loc></sitemap><sitemap><loc>${other.origin}/sitemap.xml</loc></sitemap></sitemapindex>`, 'application/xml'),
      '/sitemap-pages.xml': text(
        `<urlset>${[`${o}/orphan`, `${o}/about`, `${o}/private/from-sitemap`, `${other.origin}/secret`].map((u) => `<url><loc>${u}</loc></url>`).join('')}</urlset>`,
        'application/xml',
      ),
      '/': { body: page('Home', 'Welcome to the widget shop.', [
        '/about', 'about#team', '/docs/intro', '/private/secret', '/dup-a', '/dup-b', '/canon-variant?ref=nav', '/old', '/loop-a',
        '/elsewhere', '/report.pdf', '/logo.png', '/data', '/gone', '/broken', '/noindex', 'mailto:hi@example.com',
        'javascript:void(0)', `${other.origin}/secret`,
      ]) },
      '/about': { body: page('About us', 'We make widgets in Lisbon since 1999.', ['/', '/canon']) },
      '/docs/intro': { body: page('Intro', 'Start here to learn the widget API.', ['/docs/deep/1']) },
      '/docs/deep/1': { body: page('Deep one', 'Configuration of widgets in depth.', ['/docs/deep/2']) },
      '/docs/deep/2': { body: page('Deep two', 'Troubleshooting widgets that wobble.') },
      '/private/secret': { body: page('Private', 'Must never be fetched.') },
      '/private/from-sitemap': { body: page('Private', 'Must never be fetched either.') },
      '/dup-a': { body: dup },
      '/dup-b': { body: dup },
      // Different text on purpose: only the canonical link says these are one page.
      '/canon-variant?ref=nav': { body: page('Canonical', 'The one true page about gadgets, reached from the menu.', [], { canonical: '/canon' }) },
      '/canon': { body: page('Canonical', 'The one true page about gadgets.', [], { canonical: '/canon' }) },
      '/old': redirect('/new-page', 301),
      '/new-page': { body: page('New page', 'This page moved here from /old.') },
      '/loop-a': redirect('/loop-b'),
      '/loop-b': redirect('/loop-a'),
      '/elsewhere': redirect(`${other.origin}/secret`),
      '/data': text('{"a":1}', 'application/json'),
      '/broken': { status: 500, body: 'oops' },
      '/noindex': { body: page('Hidden', 'Please do not index me.', ['/via-noindex'], { robots: 'noindex, follow' }) },
      '/via-noindex': { body: page('Reached', 'Found through a noindex page.') },
      '/orphan': { body: page('Orphan', 'Only the sitemap knows about me.') },
      '/moved-away': redirect(`${other.origin}/secret`),
    };
    for (const [path, route] of Object.entries(routes)) site.route(path, route);
  });
  afterAll(async () => {
    await site.close();
    await other.close();
  });
  beforeEach(() => {
    site.requests.length = 0;
    other.requests.length = 0;
  });

  it('crawls the site: robots.txt first, sitemap used, disallowed paths never requested, each page once', async () => {
    const { summary, pages, byPath, stored } = await crawl();
    // Which of the two duplicates wins depends on which answer arrives first.
    expect(stored.map((p) => p.replace(/^\/dup-[ab]$/, '/dup-?'))).toEqual(
      ['/', '/about', '/canon', '/docs/deep/1', '/docs/deep/2', '/docs/intro', '/dup-?', '/new-page', '/orphan', '/via-noindex'].sort(),
    );
    expect(summary).toMatchObject({ pages: 10, stopped: 'done' });
    expect(summary.seen).toEqual(pages.map((p) => p.canonicalUrl));

    const paths = site.paths();
    expect(paths[0]).toBe('/robots.txt');
    expect(paths.filter((p) => p.startsWith('/private'))).toEqual([]);
    expect(paths).not.toContain('/report.pdf');
    expect(paths).not.toContain('/logo.png');
    expect(paths).toContain('/sitemap-pages.xml');
    expect(new Set(paths).size).toBe(paths.length);
    expect(site.requests.every((r) => /^sinth\//.test(String(r.headers['user-agent'])))).toBe(true);
    expect(other.requests).toHaveLength(0);

    const about = byPath.get('/about')!;
    expect(about).toMatchObject({ url: `${site.origin}/about`, title: 'About us', depth: 1 });
    expect(about.markdown).toContain('We make widgets in Lisbon since 1999.');
    expect(about.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(byPath.get('/')!.depth).toBe(0);
    expect(byPath.get('/docs/deep/2')!.depth).toBe(3);
    expect(byPath.get('/orphan')!.depth).toBe(1);
    expect(byPath.get('/new-page')!.url).toBe(`${site.origin}/new-page`);

    const skipped = (path: string) => summary.skipped.find((s) => s.url === `${site.origin}${path}`)?.reason;
    expect(skipped('/private/secret')).toBe(`robots.txt does not allow sinth to crawl ${site.origin}/private/secret.`);
    expect(skipped('/private/from-sitemap')).toMatch(/^robots\.txt does not allow sinth/);
    expect(skipped('/report.pdf')).toMatch(/PDFs and other files are not crawled yet/);
    expect(skipped('/elsewhere')).toBe(`Redirects off-site to ${other.origin}/secret.`);
    expect(skipped('/data')).toMatch(/^Not an HTML page \(application\/json\)/);
    expect(skipped('/gone')).toMatch(/HTTP 404/);
    expect(skipped('/noindex')).toMatch(/noindex/);
    const dupSkip = summary.skipped.find((s) => /\/dup-[ab]$/.test(s.url))!;
    expect(dupSkip.reason).toMatch(/^Duplicate: same content as .*\/dup-[ab]\.$/);

    const error = (path: string) => summary.errors.find((e) => e.url === `${site.origin}${path}`)?.error;
    expect(error('/loop-a')).toMatch(/^Redirect loop: .*\/loop-a → .*\/loop-b → .*\/loop-a\.$/);
    expect(error('/broken')).toMatch(/HTTP 500/);
  });

  it('stores a page under its same-site canonical URL, once', async () => {
    const { summary, pages } = await crawl();
    const canon = pages.filter((p) => p.canonicalUrl === `${site.origin}/canon`);
    expect(canon).toHaveLength(1);
    expect(pages.some((p) => p.canonicalUrl.includes('canon-variant'))).toBe(false);
    expect(summary.skipped.some((s) => s.reason === `Duplicate: its canonical URL ${site.origin}/canon is already stored.`)).toBe(true);
  });

  it('refuses a start URL that redirects to a private address the policy does not trust', async () => {
    const { summary, pages } = await crawl({}, '/moved-away');
    expect(pages).toHaveLength(0);
    expect(summary.errors[0]!.error).toContain('ALLOW_PRIVATE_URLS');
    expect(summary.errors[0]!.error).toContain(other.origin);
    expect(other.requests).toHaveLength(0);
  });

  it('with private URLs allowed, follows the start redirect and crawls the site where it lands', async () => {
    const { summary } = await crawl({ allowPrivate: true }, '/moved-away');
    expect(summary.seen).toEqual([`${other.origin}/secret`]);
  });

  it('applies include and exclude patterns; the start page is read for its links but stored only if included', async () => {
    const included = await crawl({ include: ['/docs/*'] });
    expect(included.stored).toEqual(['/docs/deep/1', '/docs/deep/2', '/docs/intro']);
    expect(site.paths()).not.toContain('/about');
    site.requests.length = 0;
    const excluded = await crawl({ exclude: ['/docs/deep/*', 'dup-'] });
    expect(excluded.stored).toContain('/docs/intro');
    expect(excluded.stored.filter((p) => p.startsWith('/docs/deep') || p.startsWith('/dup'))).toEqual([]);
    expect(site.paths().filter((p) => p.startsWith('/docs/deep') || p.startsWith('/dup'))).toEqual([]);
  });

  it('stops at maxPages, and at maxFetches on a site of dead ends', async () => {
    const { summary, pages } = await crawl({ maxPages: 3 });
    expect(pages).toHaveLength(3);
    expect(summary).toMatchObject({ pages: 3, stopped: 'max_pages' });
    site.requests.length = 0;
    const capped = await crawl({ maxFetches: 2 });
    expect(capped.summary.stopped).toBe('max_fetches');
    expect(site.paths().filter((p) => p !== '/robots.txt' && !p.startsWith('/sitemap'))).toHaveLength(2);
  });

  it('reports a start URL that robots.txt disallows as an error, without requesting it', async () => {
    const { summary } = await crawl({}, '/private/secret');
    expect(summary.errors).toEqual([{ url: `${site.origin}/private/secret`, error: `robots.txt does not allow sinth to crawl ${site.origin}/private/secret.` }]);
    expect(site.paths()).toEqual(['/robots.txt']);
  });

  it('respects maxDepth; depth 0 reads only the start page and no sitemap', async () => {
    const one = await crawl({ maxDepth: 1 });
    expect(one.pages.every((p) => p.depth <= 1)).toBe(true);
    expect(one.stored).toContain('/docs/intro');
    expect(site.paths().filter((p) => p.startsWith('/docs/deep'))).toEqual([]);
    site.requests.length = 0;
    const zero = await crawl({ maxDepth: 0 });
    expect(zero.stored).toEqual(['/']);
    expect(site.paths()).toEqual(['/robots.txt', '/']);
  });

  it('spaces requests to the host by delayMs', async () => {
    await crawl({ delayMs: 100, maxPages: 3, perHostConcurrency: 2 });
    const times = site.requests.map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(5);
    // Each request starts at least delayMs after the one before, so n requests span at least (n-1)·delayMs
    // of starts. Arrivals are measured here: a slow first arrival (a new connection on a busy machine)
    // can take up to one delay off the span, and slowness never shortens it; without the spacing the
    // span is a few milliseconds.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((times.length - 2) * 100);
  });

  it('cancels through its signal: requests in flight are aborted and the summary says so', async () => {
    const controller = new AbortController();
    site.route('/slow-start', { body: page('Slow start', 'Links to a slow page.', ['/slow']) });
    site.route('/slow', () => setTimeout(() => controller.abort(), 20));
    const started = Date.now();
    const { summary } = await crawl({ signal: controller.signal }, '/slow-start');
    expect(summary.stopped).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rethrows an error from onPage and stops', async () => {
    let calls = 0;
    const failing = crawlSite({ startUrl: `${site.origin}/`, allowPrivate: trustSite, delayMs: 0 }, () => {
      calls++;
      throw new Error('storage is down');
    });
    await expect(failing).rejects.toThrow('storage is down');
    expect(calls).toBe(1);
  });

  it('reports a redirect loop at the start URL as an error instead of hanging', async () => {
    const { summary } = await crawl({}, '/loop-a');
    expect(summary.pages).toBe(0);
    expect(summary.errors[0]!.error).toMatch(/^Redirect loop/);
  });
});

describe('crawlSite and robots.txt', () => {
  const sites: FakeSite[] = [];
  afterAll(() => Promise.all(sites.map((s) => s.close())));
  const start = async (routes: Parameters<typeof startFakeSite>[0]) => {
    const s = await startFakeSite(routes);
    sites.push(s);
    return s;
  };
  const run = (s: FakeSite, options: Partial<CrawlOptions> = {}) =>
    crawlSite({ startUrl: `${s.origin}/`, allowPrivate: true, delayMs: 0, ...options }, () => {});

  it('treats a robots.txt that answers 5xx as disallowing everything', async () => {
    const s = await start({ '/robots.txt': { status: 503, body: 'down' }, '/': { body: page('Home', 'Hello there.') } });
    const summary = await run(s);
    expect(summary.pages).toBe(0);
    expect(summary.errors[0]!.error).toMatch(/robots\.txt answered HTTP 503/);
    expect(s.paths()).toEqual(['/robots.txt']);
  });

  it('treats a missing robots.txt as allowing everything', async () => {
    const s = await start({ '/': { body: page('Home', 'Hello there.', ['/a']) }, '/a': { body: page('A', 'Page a.') } });
    expect((await run(s)).seen).toEqual([`${s.origin}/`, `${s.origin}/a`]);
  });

  it('honours a Crawl-delay larger than delayMs', async () => {
    const s = await start({
      '/robots.txt': text('User-agent: *\nCrawl-delay: 0.15\n'),
      '/': { body: page('Home', 'Hello there.', ['/a', '/b']) },
      '/a': { body: page('A', 'Page a.') },
      '/b': { body: page('B', 'Page b.') },
    });
    await run(s);
    // The delay is known once robots.txt is read; from then on requests are sent 150 ms apart. Arrival
    // gaps can shrink when a loaded machine delays one request, but the last request cannot arrive
    // before it was sent: the span from robots.txt to it is at least the sum of the delays.
    const [robots, ...pages] = s.requests;
    expect(robots!.path).toBe('/robots.txt');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.at(-1)!.at - robots!.at).toBeGreaterThanOrEqual((pages.length - 1) * 150 - 5);
  });
});
