/**
 * include/exclude URL patterns for a crawl. Two kinds, told apart by the presence of `*`:
 *
 * - Without `*`: a plain, case-sensitive substring of the full URL. "/blog/" matches every URL that
 *   contains "/blog/"; "?lang=fr" matches those with that query.
 * - With `*`: a glob matched against the whole of something, where `*` stands for any run of
 *   characters (including "/"). A glob starting with "http://" or "https://" is matched against the
 *   full URL; any other glob against the path and query ("/docs/*" matches "/docs/a" and
 *   "/docs/a/b?x=1", but not "/docs" itself; "*.html" matches paths ending in ".html").
 *
 * A URL is crawled when it matches at least one include pattern (or there are none) and no exclude
 * pattern: exclude wins.
 */
export type UrlFilter = (url: URL) => boolean;

type Matcher = (url: URL) => boolean;

function compile(pattern: string): Matcher {
  if (!pattern.includes('*')) return (url) => url.href.includes(pattern);
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`);
  const full = /^https?:\/\//i.test(pattern);
  return (url) => re.test(full ? url.href : url.pathname + url.search);
}

export function compileUrlFilter(include: readonly string[] = [], exclude: readonly string[] = []): UrlFilter {
  const prepare = (patterns: readonly string[]) => patterns.map((p) => p.trim()).filter(Boolean).map(compile);
  const inc = prepare(include);
  const exc = prepare(exclude);
  return (url) => (inc.length === 0 || inc.some((m) => m(url))) && !exc.some((m) => m(url));
}
