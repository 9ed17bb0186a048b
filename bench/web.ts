/**
 * Web benchmark: the chat widget's size and start-up time, and the dashboard's JavaScript per page.
 *
 * - Widget size: /widget.js as built by the server (esbuild, minified), gzipped; goal ≤ 30 KB.
 * - Widget ready: Debian's Chromium (headless) loads a local page on another origin holding the
 *   one-line embed; "ready" is the moment the launcher button exists in the widget's shadow root with
 *   the bot's appearance applied (get_ui answered), timed from the navigation's start. **Baseline**:
 *   the same page without the script, timed to its load event, in the same browser, alternating with
 *   the widget page. The server runs in this process on PGlite; every load is a new browser context
 *   (nothing cached).
 * - Dashboard: for each page, the gzipped JavaScript the browser fetches to show it: the main script,
 *   the page's own chunk and the shared chunks both import.
 *
 * Environment: BENCH_WEB_RUNS (30 loads of each page), CHROMIUM_PATH (/usr/bin/chromium).
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { buildWebBundles, type WebBundles } from '../src/features/web/bundles.js';
import { startServer } from '../src/main.js';
import { codeVersion, num, round } from './support.js';

const RUNS = num('BENCH_WEB_RUNS', 30);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const GOALS = { widgetGzipKb: 30 };
const log = (s: string) => process.stderr.write(`web bench: ${s}\n`);

const kb = (bytes: number) => round(bytes / 1024, 1);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!, 1);
};

/** The files a page needs: the script and, transitively, the chunks it imports statically. */
function closure(bundles: WebBundles, start: string, seen = new Set<string>()): Set<string> {
  if (seen.has(start)) return seen;
  seen.add(start);
  const text = bundles.app.get(start)?.body.toString() ?? '';
  for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) closure(bundles, m[1]!, seen);
  return seen;
}

export function dashboardSizes(bundles: WebBundles): Array<{ page: string; files: number; gzip_kb: number }> {
  const main = bundles.appEntry.script;
  const mainText = bundles.app.get(main)!.body.toString();
  const pages = [...new Set([...mainText.matchAll(/import\("\.\/([a-z-]+-[A-Z0-9]+\.js)"\)/g)].map((m) => m[1]!))];
  return pages.map((chunk) => {
    const files = closure(bundles, chunk, closure(bundles, main));
    for (const css of bundles.appEntry.styles) files.add(css);
    const gz = [...files].reduce((n, f) => n + (bundles.app.get(f)?.gzip.length ?? 0), 0);
    return { page: chunk.replace(/-[A-Z0-9]+\.js$/, ''), files: files.size, gzip_kb: kb(gz) };
  });
}

async function widgetTiming() {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'sinth-bench-web-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMITS: 'off', PORT: '0', HOST: '127.0.0.1' });
  const server = await startServer(config, { log: createLogger('silent') });
  const base = server.url!.replace('0.0.0.0', '127.0.0.1');
  const post = async (path: string, body: unknown, key?: string) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'api-key': key } : {}) }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const { api_key: key } = await post('/create_account', { email: `bench-${Date.now()}@example.com`, password: 'a long passphrase' });
  const { bot_id: bot } = await post('/create_bot', { name: 'Luna', ui: { title: 'Luna', primary_color: '#7c3aed', launcher_text: 'Talk to Luna' } }, key);
  const { key: convKey } = await post('/create_api_key', { name: 'widget', scope: 'conversation', bot_ids: [bot] }, key);

  const pages: Record<string, string> = {
    '/empty.html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Empty</title></head><body><h1>A page</h1></body></html>',
    '/widget.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget</title></head><body><h1>A page</h1><script src="${base}/widget.js" data-bot="${bot}" data-key="${convKey}" async></script></body></html>`,
  };
  const site = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(pages[req.url ?? ''] ?? ''));
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const origin = `http://localhost:${(site.address() as AddressInfo).port}`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  // In the page: the widget is ready when its launcher carries the bot's own launcher text (get_ui answered).
  const WAIT_READY = `new Promise((done) => {
    const check = () => {
      for (const el of document.body.querySelectorAll('*')) {
        for (const button of el.shadowRoot ? el.shadowRoot.querySelectorAll('button') : []) {
          if (/Talk to Luna/.test(button.getAttribute('aria-label') || '')) return done(performance.now());
        }
      }
      requestAnimationFrame(check);
    };
    check();
  })`;
  const LOADED = `performance.getEntriesByType('navigation')[0].duration || performance.now()`;
  const empty: number[] = [];
  const widget: number[] = [];
  try {
    for (let i = 0; i < RUNS + 3; i++) {
      for (const kind of ['empty', 'widget'] as const) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        await page.goto(`${origin}/${kind}.html`, { waitUntil: 'load' });
        const t = await page.evaluate<number>(kind === 'empty' ? LOADED : WAIT_READY);
        if (i >= 3) (kind === 'empty' ? empty : widget).push(t);
        await ctx.close();
      }
    }
  } finally {
    await browser.close();
    site.close();
    await server.close();
  }
  return { empty: { p50: pct(empty, 50), p95: pct(empty, 95) }, widget: { p50: pct(widget, 50), p95: pct(widget, 95) } };
}

export async function main(): Promise<void> {
  const bundles = await buildWebBundles();
  const widgetGzip = bundles.widget.gzip.length;
  const dashboard = dashboardSizes(bundles);
  let timing: Awaited<ReturnType<typeof widgetTiming>> | null = null;
  if (existsSync(CHROMIUM)) timing = await widgetTiming();
  else log(`no browser at ${CHROMIUM}: widget start-up not measured`);

  const r = { at: new Date().toISOString(), code: codeVersion(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}`, runs: RUNS, widget: { bytes: bundles.widget.body.length, gzip_bytes: widgetGzip }, timing, dashboard };
  const met = widgetGzip / 1024 <= GOALS.widgetGzipKb ? 'met' : '**not met**';
  const t = timing;
  const text = `# Web benchmark

${r.at} · ${r.code} · ${r.machine}

**Widget size**: /widget.js as the server builds it (minified), gzipped. **Widget ready**: headless Chromium loads a page on another origin holding the one-line embed; ready = the launcher button exists in the widget's shadow root with the bot's appearance applied (after get_ui), timed from the navigation's start; server on PGlite in the benchmark process; a new browser context (empty cache) per load; ${RUNS} loads of each page after 3 warm-ups, alternating. **Baseline**: the same page without the script, to its load event. **Dashboard**: gzipped JavaScript and CSS a browser fetches to show each page (main script + the page's chunk + shared chunks).

| measure | value | goal | |
|---|---:|---:|---|
| Widget script, minified | ${kb(r.widget.bytes)} KB |  |  |
| Widget script, gzipped | ${kb(widgetGzip)} KB | ≤ ${GOALS.widgetGzipKb} KB | ${met} |
${t ? `| Baseline, empty page to load: p50 / p95 | ${t.empty.p50} ms / ${t.empty.p95} ms |  |  |
| Page with widget, to widget ready: p50 / p95 | ${t.widget.p50} ms / ${t.widget.p95} ms |  |  |
| Ratio widget ready / empty page (p50) | ${round(t.widget.p50 / t.empty.p50, 1)} × |  |  |
` : '| Widget ready | not measured (no Chromium) |  |  |\n'}
| Dashboard page | files | gzipped JS + CSS |
|---|---:|---:|
${dashboard.map((d) => `| ${d.page} | ${d.files} | ${d.gzip_kb} KB |`).join('\n')}
`;
  process.stdout.write(`\n${text}\n`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'web.md'), text);
  writeFileSync(join(dir, 'web.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
