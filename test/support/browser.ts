import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai.js';
import { startHarness, type Harness } from './harness.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Browser tests run where Debian's Chromium is installed (.ci/run installs it); elsewhere they are skipped. */
export const hasChromium = existsSync(CHROMIUM);

/** Screenshots kept as test artifacts (gitignored). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'screenshots');

const require = createRequire(import.meta.url);
let axeText: string | null = null;
const axeSource = () => (axeText ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));

export interface BrowserWorld {
  h: Harness;
  llm: FakeOpenAi;
  browser: Browser;
  /** The server's origin, e.g. http://127.0.0.1:43123 */
  base: string;
  /** A fresh browser context (its own storage) at a given viewport width. */
  context(opts?: { width?: number }): Promise<BrowserContext>;
  /** A page on another origin (http://localhost:P) that embeds the widget with these script attributes. */
  hostPage(attrs: Record<string, string>, opts?: { title?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The server (fake model, PGlite or the run's PostgreSQL) listening on a real port, a second HTTP
 * server on another origin for pages that embed the widget, and Debian's Chromium.
 */
export async function startBrowserWorld(env: Record<string, string> = {}): Promise<BrowserWorld> {
  const llm = await startFakeOpenAi();
  const h = await startHarness({ LLM_BASE_URL: llm.url, LLM_API_KEY: 'test-llm-key', LLM_MODEL: 'fake-model', ...env });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;

  // Pages on another origin: "localhost" is another host than "127.0.0.1" to the browser.
  const pages = new Map<string, string>();
  const other: HttpServer = createServer((req, res) => {
    const html = pages.get(req.url ?? '');
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' }).end(html ?? 'not found');
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const otherOrigin = `http://localhost:${(other.address() as AddressInfo).port}`;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });

  return {
    h,
    llm,
    browser,
    base,
    context: (opts = {}) => browser.newContext({ viewport: { width: opts.width ?? 1280, height: 800 }, baseURL: base }),
    async hostPage(attrs, opts = {}) {
      const path = `/page-${pages.size}.html`;
      const attrText = Object.entries(attrs)
        .map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`)
        .join('');
      pages.set(
        path,
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${opts.title ?? 'Host page'}</title>` +
          `<style>body{font-family:serif;background:#fefce8} button{color:rgb(255, 0, 0)}</style></head>` +
          `<body><main><h1>A creator's site</h1><p>Welcome.</p><button id="host-button">Host button</button></main>` +
          `<script src="${base}/widget.js"${attrText} async></script></body></html>`,
      );
      return `${otherOrigin}${path}`;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise<void>((r) => other.close(() => r()));
      await h.close();
      await llm.close();
    },
  };
}

/** Runs axe-core in the page (open shadow roots included); the serious and critical violations. */
export async function axeViolations(page: Page, include?: string): Promise<Array<{ id: string; impact: string; help: string; nodes: string[] }>> {
  // Evaluated through the browser's debugging protocol rather than a script tag, which the
  // dashboard's Content-Security-Policy (script-src 'self') rightly refuses.
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(axeSource());
  return page.evaluate(async (sel) => {
    const g = globalThis as any;
    const result = await g.axe.run(sel ?? g.document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  }, include ?? null);
}

/** Every request a page makes, to check that none leaves the allowed hosts. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** A full-page screenshot kept as an artifact. */
export async function snapshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A new browser context already logged in to the dashboard with this /login session. */
export async function loggedInContext(w: BrowserWorld, session: unknown, opts: { width?: number } = {}): Promise<BrowserContext> {
  const ctx = await w.context(opts);
  await ctx.addInitScript(`localStorage.setItem('sinth.session', ${JSON.stringify(JSON.stringify(session))})`);
  return ctx;
}
