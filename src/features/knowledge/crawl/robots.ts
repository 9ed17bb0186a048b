import { createRequire } from 'node:module';
import type robotsParserModule from 'robots-parser';
import { BlockedAddressError, TooManyRedirectsError, type SafeResponse } from '../../../core/net/safe-fetch.js';

// robots-parser is CommonJS (module.exports = fn) but its types declare an ES default export, so a
// default import type-checks as the namespace; require() gets the function both ways.
const robotsParser = createRequire(import.meta.url)('robots-parser') as typeof robotsParserModule.default;

/** The user agent token matched against robots.txt groups (the full User-Agent header is sent on requests). */
export const ROBOTS_AGENT = 'sinth';

/** robots.txt is read up to this size; Google reads 500 KiB. */
export const ROBOTS_MAX_BYTES = 512 * 1024;

export interface RobotsRules {
  isAllowed(url: URL): boolean;
  /** Crawl-delay for `sinth` (or `*`) in milliseconds, if any. */
  crawlDelayMs: number | null;
  /** Sitemap: lines, as written. */
  sitemaps: string[];
  /** Why everything is refused, when it is (robots.txt unreachable). */
  refusal: string | null;
}

const allowAll: RobotsRules = { isAllowed: () => true, crawlDelayMs: null, sitemaps: [], refusal: null };

const refuseAll = (refusal: string): RobotsRules => ({ isAllowed: () => false, crawlDelayMs: null, sitemaps: [], refusal });

/**
 * Rules from a robots.txt fetch, following RFC 9309:
 * - 2xx: the file's rules (an empty or non-robots body means no rules);
 * - 4xx other than 429 ("unavailable", including 401/403 and a missing file): everything allowed;
 * - more than five redirects: treated as unavailable, as the RFC allows;
 * - 429, 5xx or no answer at all ("unreachable"): everything disallowed. We cannot know what the
 *   owner forbids, and hammering a failing server is the opposite of polite.
 */
export function robotsFromResponse(robotsUrl: string, res: SafeResponse | Error): RobotsRules {
  if (res instanceof TooManyRedirectsError) return allowAll;
  // The site itself is refused, not just its robots.txt: say that, plainly.
  if (res instanceof BlockedAddressError) return refuseAll(res.message);
  if (res instanceof Error) return refuseAll(`robots.txt could not be fetched (${res.message}), so nothing on this site is crawled, to be safe.`);
  if (res.status === 429 || res.status >= 500) {
    return refuseAll(`robots.txt answered HTTP ${res.status}, so nothing on this site is crawled, to be safe.`);
  }
  if (res.status < 200 || res.status >= 300) return allowAll;
  const robots = robotsParser(robotsUrl, res.body.toString('utf8'));
  const delay = robots.getCrawlDelay(ROBOTS_AGENT);
  return {
    // robots-parser answers undefined for URLs of another origin; those are checked against their own file.
    isAllowed: (url) => robots.isAllowed(url.href, ROBOTS_AGENT) !== false,
    crawlDelayMs: typeof delay === 'number' && Number.isFinite(delay) && delay > 0 ? delay * 1000 : null,
    sitemaps: robots.getSitemaps(),
    refusal: null,
  };
}
