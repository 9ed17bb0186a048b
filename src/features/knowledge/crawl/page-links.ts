import { parseHTML } from 'linkedom';
import { normalizeUrl } from './site-urls.js';

export interface PageLinks {
  /** Absolute http(s) URLs from <a href> and <area href>, fragments stripped, in document order, no repeats. */
  links: URL[];
  /** <link rel="canonical">, resolved; the caller decides whether to trust it (same site only). */
  canonical: URL | null;
  /** <meta name="robots|sinth" content="noindex">: the owner asks for the page not to be kept. */
  noindex: boolean;
  /** ... content="nofollow": the owner asks for its links not to be followed. */
  nofollow: boolean;
}

const tokens = (value: string | null) => (value ?? '').toLowerCase().split(/[\s,]+/).filter(Boolean);

/** Reads what the crawl needs from a page: where it links, what it calls itself, and what robots meta asks. */
export function readPageLinks(html: string, pageUrl: URL): PageLinks {
  const { document } = parseHTML(html);
  const baseHref = document.querySelector('base[href]')?.getAttribute('href');
  const base = (baseHref && normalizeUrl(baseHref, pageUrl)) || pageUrl;

  const links: URL[] = [];
  const seen = new Set<string>();
  for (const el of document.querySelectorAll('a[href], area[href]')) {
    const url = normalizeUrl(el.getAttribute('href') ?? '', base);
    if (url && !seen.has(url.href)) {
      seen.add(url.href);
      links.push(url);
    }
  }

  let canonical: URL | null = null;
  for (const el of document.querySelectorAll('link[rel][href]')) {
    if (tokens(el.getAttribute('rel')).includes('canonical')) {
      canonical = normalizeUrl(el.getAttribute('href') ?? '', base);
      break;
    }
  }

  let noindex = false;
  let nofollow = false;
  for (const el of document.querySelectorAll('meta[name][content]')) {
    const name = (el.getAttribute('name') ?? '').toLowerCase();
    if (name !== 'robots' && name !== 'sinth') continue;
    const directives = tokens(el.getAttribute('content'));
    if (directives.includes('noindex') || directives.includes('none')) noindex = true;
    if (directives.includes('nofollow') || directives.includes('none')) nofollow = true;
  }
  return { links, canonical, noindex, nofollow };
}

const VALUED_DIRECTIVES = new Set(['max-snippet', 'max-image-preview', 'max-video-preview', 'unavailable_after']);

/**
 * X-Robots-Tag says the same as the meta tag, for the whole response. "googlebot: noindex" is for
 * another crawler: an "agent:" prefix applies to the directives after it, and only bare directives
 * and those for "sinth" count.
 */
export function headerNoindex(header: string | undefined): boolean {
  let agent: string | null = null;
  for (const raw of (header ?? '').split(',')) {
    let directive = raw.trim().toLowerCase();
    const prefixed = /^([a-z0-9_-]+)\s*:\s*(.*)$/.exec(directive);
    if (prefixed && !VALUED_DIRECTIVES.has(prefixed[1]!)) {
      agent = prefixed[1]!;
      directive = prefixed[2]!;
    }
    if ((agent === null || agent === 'sinth') && (directive === 'noindex' || directive === 'none')) return true;
  }
  return false;
}
