import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, hasChromium, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';

const UI = {
  title: 'Preview Bot',
  primary_color: '#0b5394',
  background_color: '#ffffff',
  text_color: '#111827',
  // On a third-party host: the preview must not load it (the checks below see no request at all).
  avatar_url: 'https://cdn.example/a.png',
  position: 'bottom-right',
  launcher_text: 'Chat now',
  theme: 'light',
};

describe.skipIf(!hasChromium)('chat widget: the dashboard preview', () => {
  let w: BrowserWorld;
  let code: string;
  beforeAll(async () => {
    w = await startBrowserWorld();
    // The module as the dashboard bundles it, exposed for the test page.
    const out = await build({ entryPoints: [join(process.cwd(), 'web/widget/preview.ts')], bundle: true, write: false, format: 'iife', globalName: 'SinthPreview', target: 'es2020' });
    code = out.outputFiles[0]!.text;
  });
  afterAll(async () => w?.close());

  it('renders the widget open inside its box, updates and goes away, with no network calls', async () => {
    const ctx = await w.context({ width: 800 });
    const page = await ctx.newPage();
    await page.goto(await w.hostPage({}));
    const urls = recordRequests(page);
    await page.addScriptTag({ content: code });
    await page.evaluate((ui) => {
      const g = globalThis as any;
      const box = g.document.createElement('div');
      box.id = 'preview-box';
      box.style.cssText = 'width:380px;height:600px;margin:20px;border:1px solid #999';
      g.document.querySelector('main').append(box);
      g.preview = g.SinthPreview.mountWidgetPreview(box, { ui, openingMessage: 'Welcome to the preview!' });
    }, UI);

    const dialog = page.getByRole('dialog', { name: 'Preview Bot' });
    await dialog.waitFor();
    await page.getByText('Welcome to the preview!').waitFor();
    expect(await page.locator('#preview-box .msg').count()).toBe(3);
    expect(await page.getByRole('textbox', { name: 'Message' }).isDisabled()).toBe(true);
    // Contained in its box, not fixed to the viewport.
    const box = (await page.locator('#preview-box').boundingBox())!;
    const panel = (await dialog.boundingBox())!;
    expect(panel.x).toBeGreaterThanOrEqual(box.x);
    expect(panel.x + panel.width).toBeLessThanOrEqual(box.x + box.width);
    expect(panel.y + panel.height).toBeLessThanOrEqual(box.y + box.height);
    expect(await page.locator('#preview-box .head').evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor)).toBe('rgb(11, 83, 148)');
    // The title's initial stands in for the third-party avatar.
    const avatar = page.locator('#preview-box .avatar');
    expect(await avatar.textContent()).toBe('P');
    expect(await avatar.locator('img').count()).toBe(0);
    expect(await axeViolations(page, '#preview-box')).toEqual([]);
    await snapshot(page, 'widget-preview');

    await page.evaluate((ui) => (globalThis as any).preview.update({ ui: { ...ui, title: 'Renamed', primary_color: '#b45309', position: 'bottom-left' }, openingMessage: 'New greeting' }), UI);
    await page.getByRole('dialog', { name: 'Renamed' }).waitFor();
    await page.getByText('New greeting').waitFor();
    expect(await page.getByText('Welcome to the preview!').count()).toBe(0);
    expect(await page.locator('#preview-box .head').evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor)).toBe('rgb(180, 83, 9)');
    expect(await avatar.textContent()).toBe('R');

    await page.evaluate(() => (globalThis as any).preview.destroy());
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.locator('#preview-box').evaluate((e) => e.children.length)).toBe(0);
    expect(urls).toEqual([]);
    await ctx.close();
  });
});
