import { useEffect, useState } from 'preact/hooks';

/** Paths inside the dashboard, without the /app prefix ("/" is the bots list). */
export const BASE = '/app';

export function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return p.replace(/\/+$/, '') || '/';
}

export function navigate(path: string, replace = false): void {
  const url = `${BASE}${path === '/' ? '' : path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

/** Matches "/bots/:id/knowledge" against a path; the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.startsWith(':')) {
      // A malformed escape ("%E0%A4%A") is no page of ours: "Not found" rather than a crash.
      try {
        params[a[i]!.slice(1)] = decodeURIComponent(b[i]!);
      } catch {
        return null;
      }
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}

/** Links inside the app move with the history API rather than reloading the page. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element).closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const href = a.getAttribute('href');
  // "/app" and "/app/…" only: "/apple" is another page of the site.
  if (!href || (href !== BASE && !href.startsWith(`${BASE}/`))) return;
  e.preventDefault();
  navigate(href.slice(BASE.length) || '/');
}
