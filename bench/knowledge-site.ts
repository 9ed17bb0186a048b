/**
 * A local web site for the crawl measure, run in its own process (`fork` this file; it sends
 * `{ origin }` when listening and exits on 'stop'): PAGES interlinked HTML pages of 4-9 KB each
 * (a header with navigation, an article with headings, paragraphs, a list and related links, a
 * footer), a robots.txt that names the sitemap and disallows /private/, and a sitemap.xml of every
 * page. Pages are made once at start, from a fixed seed, and served from memory.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { paragraph, rng, sentence, vocabulary } from './knowledge-corpus.js';

const PAGES = Number(process.env.BENCH_KB_PAGES ?? 200);

/** The paths of the site's pages, the home page first. */
export function sitePaths(pages = PAGES): string[] {
  return Array.from({ length: pages }, (_, i) => (i === 0 ? '/' : `/p/${i}`));
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function makePages(origin: string): Map<string, { type: string; body: string }> {
  const v = vocabulary();
  const r = rng(2024);
  const paths = sitePaths();
  const titles = paths.map((_, i) => (i === 0 ? 'Welcome' : `${v.word(r)} ${v.word(r)}`.replace(/^./, (c) => c.toUpperCase())));
  const link = (i: number) => `<a href="${paths[i]}">${escape(titles[i]!)}</a>`;
  const nav = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<li>${link(i)}</li>`).join('') + '<li><a href="/private/admin">Admin</a></li>';
  const routes = new Map<string, { type: string; body: string }>();
  paths.forEach((path, i) => {
    const sections: string[] = [];
    for (let s = 0, n = 2 + Math.floor(r() * 3); s < n; s++) {
      sections.push(`<h2>${escape(sentence(r, v, 2, 5).replace(/[.?!]$/, ''))}</h2>`);
      for (let p = 0, m = 1 + Math.floor(r() * 3); p < m; p++) sections.push(`<p>${escape(paragraph(r, v, 2, 5))}</p>`);
      if (r() < 0.3) sections.push(`<ul>${Array.from({ length: 3 }, () => `<li>${escape(sentence(r, v, 3, 8))}</li>`).join('')}</ul>`);
    }
    // Every page links to the next and previous ones (so links alone reach the whole site) and to five others.
    const related = [(i + 1) % paths.length, (i + paths.length - 1) % paths.length, ...Array.from({ length: 5 }, () => Math.floor(r() * paths.length))];
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(titles[i]!)} | Example Studio</title>
<meta name="description" content="${escape(sentence(r, v, 6, 12))}">
<link rel="canonical" href="${origin}${path}"><link rel="stylesheet" href="/style.css"></head>
<body><header><a href="/" class="logo">Example Studio</a><nav><ul>${nav}</ul></nav></header>
<main><article><h1>${escape(titles[i]!)}</h1>
${sections.join('\n')}
<aside><h3>Related</h3><ul>${related.map((j) => `<li>${link(j)}</li>`).join('')}</ul></aside>
</article></main>
<footer><p>© Example Studio · ${link(0)} · <a href="/p/1">About</a> · <a href="mailto:hello@example.com">Contact</a></p></footer>
<script src="/app.js"></script></body></html>`;
    routes.set(path, { type: 'text/html; charset=utf-8', body: html });
  });
  routes.set('/robots.txt', { type: 'text/plain', body: `User-agent: *\nDisallow: /private/\n\nSitemap: ${origin}/sitemap.xml\n` });
  routes.set('/sitemap.xml', {
    type: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${paths.map((p) => `  <url><loc>${origin}${p}</loc></url>`).join('\n')}\n</urlset>\n`,
  });
  return routes;
}

async function serve(): Promise<void> {
  let routes = new Map<string, { type: string; body: string }>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const route = routes.get(req.url ?? '/');
    if (!route) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-type': route.type, 'content-length': Buffer.byteLength(route.body) }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  routes = makePages(origin);
  const htmlBytes = [...routes.entries()].filter(([, r]) => r.type.startsWith('text/html')).reduce((n, [, r]) => n + Buffer.byteLength(r.body), 0);
  process.send!({ origin, pages: sitePaths().length, htmlBytes });
  process.on('message', (m) => {
    if (m === 'requests') process.send!({ requests });
    if (m !== 'stop') return;
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

if (process.send && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await serve();
