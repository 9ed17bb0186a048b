import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ownEntry } from '../../../core/own-entry.js';

/** A sitemap may hold 50,000 URLs in 50 MB; we read fewer, from fewer files. */
export const SITEMAP_MAX_BYTES = 10 * 1024 * 1024;
export const MAX_SITEMAP_FILES = 10;

/**
 * Sitemaps seed a crawl with the pages a site declares, which finds pages no link reaches. Formats:
 * XML <urlset>, XML <sitemapindex> (whose entries are more sitemaps), and the plain-text form (one
 * URL a line). Gzipped files (sitemap.xml.gz, served as a file rather than with Content-Encoding)
 * are unzipped by sitemapText.
 */
export interface SitemapDocument {
  kind: 'index' | 'urlset';
  locations: string[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(text: string): string {
  return text
    .replace(/^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/, '$1')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ownEntry(ENTITIES, name.toLowerCase()) ?? whole;
    })
    .trim();
}

/** A regex reader rather than an XML parser: sitemaps are flat, and a DOM for 50,000 entries is costly. */
export function parseSitemap(text: string): SitemapDocument {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (!body.startsWith('<')) {
    return { kind: 'urlset', locations: body.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^https?:\/\//i.test(l)) };
  }
  const kind = /<(?:\w+:)?sitemapindex[\s>]/i.test(body) ? 'index' : 'urlset';
  const locations: string[] = [];
  for (const m of body.matchAll(/<(?:\w+:)?loc>([\s\S]*?)<\/(?:\w+:)?loc>/gi)) {
    const loc = decodeXmlText(m[1]!);
    if (loc) locations.push(loc);
  }
  return { kind, locations };
}

export interface SitemapLimits {
  /** Sitemap files read at most (an index can name thousands). */
  maxFiles: number;
  /** Page URLs kept at most. */
  maxUrls: number;
}

/**
 * Walks sitemaps breadth first from `roots`, keeping the page URLs `accept` takes, within the limits.
 * `fetchText` returns null for a sitemap that could not be read; the walk carries on without it.
 */
export async function collectSitemapUrls(
  roots: readonly string[],
  fetchText: (url: string) => Promise<string | null>,
  accept: (url: string) => boolean,
  limits: SitemapLimits,
): Promise<string[]> {
  const queue = [...new Set(roots)];
  const visited = new Set(queue);
  const pages: string[] = [];
  const kept = new Set<string>();
  let files = 0;
  while (queue.length > 0 && files < limits.maxFiles && pages.length < limits.maxUrls) {
    const url = queue.shift()!;
    files++;
    const text = await fetchText(url);
    if (text === null) continue;
    const doc = parseSitemap(text);
    for (const loc of doc.locations) {
      if (doc.kind === 'index') {
        if (!visited.has(loc) && accept(loc)) {
          visited.add(loc);
          queue.push(loc);
        }
      } else if (!kept.has(loc) && accept(loc)) {
        kept.add(loc);
        pages.push(loc);
        if (pages.length >= limits.maxUrls) break;
      }
    }
  }
  return pages;
}

/** The text of a fetched sitemap, unzipped when it is a gzip file, within a bound so a small .gz cannot explode. */
export async function sitemapText(body: Buffer): Promise<string> {
  const gzipped = body[0] === 0x1f && body[1] === 0x8b;
  const bytes = gzipped ? await promisify(gunzip)(body, { maxOutputLength: 5 * SITEMAP_MAX_BYTES }) : body;
  return bytes.toString('utf8');
}
