import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

describe('web routes: the widget script and the dashboard', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('serves /widget.js gzipped when asked, cacheable, revalidated by etag, loadable from any site', async () => {
    const plain = await h.app.inject({ method: 'GET', url: '/widget.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toMatch(/^text\/javascript/);
    expect(plain.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(plain.body.length).toBeGreaterThan(100);
    const zipped = await h.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
    const again = await h.app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': String(plain.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('serves the dashboard page for every /app path with a CSP that keeps requests on its own host', async () => {
    for (const url of ['/app', '/app/inbox', '/app/bots/bot_00000000000000000000000000']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.body).toMatch(/<script type="module" src="\/app\/assets\/main-[A-Z0-9]+\.js">/);
    }
    expect((await h.app.inject({ method: 'GET', url: '/' })).headers.location).toBe('/app');
  });

  it('serves the page scripts with long-lived caching, and 404 for names it never built', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/app' });
    const script = /src="(\/app\/assets\/main-[A-Z0-9]+\.js)"/.exec(page.body)![1]!;
    const res = await h.app.inject({ method: 'GET', url: script });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
    // The main script loads each page as its own chunk.
    expect(res.body).toMatch(/import\("\.\/bots-[A-Z0-9]+\.js"\)/);
    const missing = await h.app.inject({ method: 'GET', url: '/app/assets/main-NOPE.js' });
    expect(missing.statusCode).toBe(404);
    const traversal = await h.app.inject({ method: 'GET', url: '/app/assets/..%2f..%2fpackage.json' });
    expect(traversal.statusCode).toBe(404);
  });
});
