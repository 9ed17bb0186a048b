/**
 * What counts as "the same site", and which URLs are worth a request.
 *
 * A site is a host name with any leading "www." removed, plus an explicit port if there is one,
 * over http or https. So http://example.com, https://example.com and https://www.example.com are
 * one site: sites commonly link to the twin they redirect away from, and a strict origin check
 * would drop every such link. A different port is a different site (another server), and so is any
 * other subdomain (docs.example.com is often another product, with its own robots.txt).
 */
export function siteKey(url: URL): string {
  return url.hostname.replace(/^www\./, '') + (url.port ? `:${url.port}` : '');
}

/** An absolute http(s) URL without its fragment, or null for anything else (mailto:, javascript:, garbage). */
export function normalizeUrl(href: string, base?: string | URL): URL | null {
  let url: URL;
  try {
    url = new URL(href, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  url.hash = '';
  return url;
}

/** Files a crawl could one day turn into knowledge: reported as skipped so the user knows they were seen. */
const DOCUMENT_EXTENSIONS = new Set(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp', 'rtf', 'epub', 'csv']);

/** Never text: skipped silently, without a request. */
const ASSET_EXTENSIONS = new Set([
  ...['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'ico', 'bmp', 'tif', 'tiff', 'avif', 'heic'],
  ...['mp3', 'mp4', 'm4a', 'm4v', 'mov', 'avi', 'wmv', 'webm', 'ogg', 'ogv', 'wav', 'flac', 'mkv'],
  ...['zip', 'gz', 'tgz', 'bz2', 'xz', '7z', 'rar', 'tar'],
  ...['exe', 'dmg', 'pkg', 'msi', 'deb', 'rpm', 'apk', 'iso', 'bin', 'jar'],
  ...['css', 'js', 'mjs', 'map', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'json', 'xml', 'rss', 'atom', 'txt'],
]);

export type FileKind = 'page' | 'document' | 'asset';

/** Judged from the path's extension alone; a page without one is presumed HTML until its Content-Type says otherwise. */
export function fileKind(url: URL): FileKind {
  const last = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return 'page';
  const ext = last.slice(dot + 1).toLowerCase();
  if (DOCUMENT_EXTENSIONS.has(ext)) return 'document';
  if (ASSET_EXTENSIONS.has(ext)) return 'asset';
  return 'page';
}

export const isHtmlType = (contentType: string | null) => contentType === 'text/html' || contentType === 'application/xhtml+xml';
