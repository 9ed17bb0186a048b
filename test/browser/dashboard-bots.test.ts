import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { audit, creator, expectNoSideScroll, openPage, type Session } from '../support/dashboard.js';
import { page as sitePage, startFakeSite, type FakeSite } from '../support/fake-site.js';
import { waitUntil } from '../support/wait.js';

// A bot's three working pages: the editor (prompt versions, appearance with its live preview, voice
// validation), knowledge (upload, status, search, a refused file) and the playground (streaming,
// sources, the assembled prompt) — each checked through the API or the fake model.

const FIRST_PROMPT = 'You are Luna, a cheerful astronomer who loves comets.';
const SECOND_PROMPT = 'You are Luna, a grumpy pirate captain who hates the sea.';
const FACT = 'The Harbor Point lighthouse was first lit in 1874. Its keeper for forty years was Ada Quillfeather, who rowed out in every storm.';
// The server releases a streamed reply a sentence at a time (each is checked first): several sentences,
// so there is a partial reply to see.
const REPLY = 'Streaming reply from the fake model. The keeper was Ada Quillfeather. She rowed out in every storm.';

describe.skipIf(!hasChromium)('dashboard: bot editor, knowledge and playground', () => {
  let w: BrowserWorld;
  let key: string;
  let botId: string;
  let session: Session;
  let site: FakeSite;

  beforeAll(async () => {
    // The crawled site runs on 127.0.0.1, which the server refuses to fetch unless told otherwise.
    w = await startBrowserWorld({ ALLOW_PRIVATE_URLS: 'true' });
    site = await startFakeSite({
      '/robots.txt': { body: 'User-agent: *\nAllow: /\n', headers: { 'content-type': 'text/plain' } },
      '/': { body: sitePage('Observatory', 'Welcome to the hill observatory.', ['/comets', '/moons', '/tides']), headers: { 'content-type': 'text/html' } },
      '/comets': { body: sitePage('Comets', 'Halley returns every 76 years.'), headers: { 'content-type': 'text/html' } },
      '/moons': { body: sitePage('Moons', 'Jupiter has at least 95 moons.'), headers: { 'content-type': 'text/html' } },
      '/tides': { body: sitePage('Tides', 'Spring tides follow the full moon.'), headers: { 'content-type': 'text/html' } },
    });
    ({ key, botId, session } = await creator(w, { name: 'Luna', prompt: FIRST_PROMPT, opening_message: 'Hi, I am Luna!' }));
  });
  afterAll(async () => {
    await site?.close();
    await w?.close();
  });

  const saved = (page: Page) => page.getByRole('status').filter({ hasText: 'Saved' });

  it('edits the prompt (a new version), then restores the older version', async () => {
    const { ctx, page, urls } = await openPage(w, session, `/app/bots/${botId}`, { heading: 'Luna' });
    expect(await page.getByRole('tab', { name: 'Prompt' }).getAttribute('aria-selected')).toBe('true');
    const prompt = page.getByLabel('Prompt', { exact: false }).and(page.locator('textarea'));
    await page.waitForFunction((t) => (globalThis as any).document.querySelector('textarea')?.value === t, FIRST_PROMPT);

    await prompt.fill(SECOND_PROMPT);
    await page.getByRole('button', { name: 'Save prompt' }).click();
    await saved(page).waitFor();
    const after = await w.h.request('GET', '/get_prompt', { key, query: { bot_id: botId } });
    expect(after.body).toMatchObject({ prompt: SECOND_PROMPT, version: 2 });

    // The history lists both versions with their times; the older one can be restored.
    const history = page.getByRole('list', { name: 'Version history' });
    await history.getByText('Version 2', { exact: true }).waitFor();
    expect(await history.locator('li').count()).toBe(2);
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Restored: the older text is now the current prompt.').waitFor();
    const restored = await w.h.request('GET', '/get_prompt', { key, query: { bot_id: botId } });
    expect(restored.body).toMatchObject({ prompt: FIRST_PROMPT, version: 3 });
    expect(await prompt.inputValue()).toBe(FIRST_PROMPT);
    await history.getByText('restored from v1').waitFor();

    // The switch pauses the bot (human takeover) and says so.
    await page.getByRole('switch', { name: 'Bot replies: on' }).click();
    await page.getByRole('switch', { name: 'Bot replies: off (human takeover)' }).waitFor();
    const paused = (await w.h.request('GET', '/get_bots', { key })).body.data.find((b: any) => b.bot_id === botId);
    expect(paused.response_enabled).toBe(false);
    await page.getByRole('switch', { name: /Bot replies: off/ }).click();
    await page.getByRole('switch', { name: 'Bot replies: on' }).waitFor();
    expect((await w.h.request('GET', '/get_bots', { key })).body.data.find((b: any) => b.bot_id === botId).response_enabled).toBe(true);

    await audit(page, 'bot-editor', 1280);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();
  }, 90_000);

  it('changes the appearance: the preview follows as you type, and Save stores it', async () => {
    const { ctx, page } = await openPage(w, session, `/app/bots/${botId}`, { heading: 'Luna' });
    await page.getByRole('tab', { name: 'Appearance' }).click();
    const previewTitle = page.locator('.widget-preview h2');
    await previewTitle.getByText('Luna').waitFor();

    await page.getByLabel('Title').fill('Starlight Desk');
    await previewTitle.getByText('Starlight Desk').waitFor(); // before any save
    await page.getByLabel('Primary color hex').fill('#0f766e');
    expect(await page.getByLabel('Primary color picker').inputValue()).toBe('#0f766e');
    expect((await w.h.request('GET', '/get_ui', { key, query: { bot_id: botId } })).body.ui.title).toBe('Luna');

    await page.getByRole('button', { name: 'Save appearance' }).click();
    await saved(page).waitFor();
    const ui = (await w.h.request('GET', '/get_ui', { key, query: { bot_id: botId } })).body.ui;
    expect(ui).toMatchObject({ title: 'Starlight Desk', primary_color: '#0f766e', launcher_text: 'Chat with us' });

    // A value the server refuses is shown in its words.
    await page.getByLabel('Avatar URL').fill('http://example.com/a.png');
    await page.getByRole('button', { name: 'Save appearance' }).click();
    // (The preview holds the widget's own, empty, alert region.)
    const refusal = page.getByRole('alert').filter({ hasText: 'Invalid parameter ui.avatar_url' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('must be an https:// URL');

    await audit(page, 'bot-editor-appearance', 1280);
    await ctx.close();
  }, 90_000);

  it('saves voice settings and shows the server\'s validation error', async () => {
    const { ctx, page } = await openPage(w, session, `/app/bots/${botId}#voice`, { heading: 'Luna' });
    await page.getByRole('tab', { name: 'Voice' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Voice' }).getAttribute('aria-selected')).toBe('true');
    await page.getByLabel('Locale').fill('english');
    await page.getByRole('button', { name: 'Save voice settings' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('language-REGION');
    await page.getByLabel('Locale').fill('de-DE');
    await page.getByLabel('Silence timeout (seconds)').fill('7');
    await page.getByRole('button', { name: 'Save voice settings' }).click();
    await saved(page).waitFor();
    const voice = (await w.h.request('GET', '/get_voice_settings', { key, query: { bot_id: botId } })).body.voice;
    expect(voice).toMatchObject({ locale: 'de-DE', silence_timeout_seconds: 7, barge_in: true });

    // Sliders show the bot's current values and save what was moved.
    await page.getByRole('tab', { name: 'Sliders' }).click();
    const humor = page.getByLabel('Humor');
    await humor.waitFor();
    expect(await humor.inputValue()).toBe('50');
    expect(await page.getByLabel('Emoji').inputValue()).toBe('30');
    await humor.fill('80');
    await page.getByRole('button', { name: 'Save sliders' }).click();
    await saved(page).waitFor();
    expect((await w.h.request('GET', '/get_values', { key, query: { bot_id: botId } })).body.values).toMatchObject({ humor: 80, emoji: 30 });
    await ctx.close();
  }, 90_000);

  it('uploads a file, shows its status until ready, finds a passage from it, and shows a refused upload in the API\'s words', async () => {
    const { ctx, page } = await openPage(w, session, `/app/bots/${botId}/knowledge`, { heading: 'Knowledge' });
    const input = page.getByLabel('Choose files to upload');
    await input.setInputFiles({ name: 'lighthouse.txt', mimeType: 'text/plain', buffer: Buffer.from(FACT) });
    await page.getByRole('listitem').filter({ hasText: 'lighthouse.txt' }).getByRole('status').getByText(/Uploaded/).waitFor();
    const row = page.getByRole('table', { name: 'Files' }).getByRole('row').filter({ hasText: 'lighthouse.txt' });
    await row.waitFor();
    // The page polls while the ingestion job runs: the badge turns "ready" without a reload.
    await row.locator('.badge', { hasText: 'ready' }).waitFor({ timeout: 30_000 });
    const files = (await w.h.request('GET', '/get_filenames', { key, query: { bot_id: botId } })).body.data;
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ filename: 'lighthouse.txt', status: 'ready' });

    await page.getByLabel('Question to search the knowledge for').fill('Who was the lighthouse keeper?');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const passage = page.locator('.passage').first();
    await passage.waitFor();
    expect(await passage.textContent()).toContain('Ada Quillfeather');
    expect(await passage.textContent()).toContain('lighthouse.txt');
    expect(await passage.textContent()).toMatch(/Score \d/);

    // Dropping a file on the zone uploads it too.
    await page.evaluate(() => {
      const g = globalThis as any;
      const dt = new g.DataTransfer();
      dt.items.add(new g.File(['# Tides\n\nSpring tides follow the full moon.'], 'tides.md', { type: 'text/markdown' }));
      g.document.querySelector('.dropzone').dispatchEvent(new g.DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.getByRole('table', { name: 'Files' }).getByRole('row').filter({ hasText: 'tides.md' }).waitFor();

    // An executable: the API refuses it (415) and the page shows that message.
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
    const form = new FormData();
    form.append('bot_id', botId);
    form.append('file', new Blob([exe]), 'setup.exe');
    const direct = await fetch(`${w.base}/upload`, { method: 'POST', headers: { 'api-key': key }, body: form });
    const refusal = (await direct.json()) as { error: { message: string } };
    expect(direct.status).toBe(415);
    await input.setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: exe });
    const alert = page.getByRole('listitem').filter({ hasText: 'setup.exe' }).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(refusal.error.message);
    await input.setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
    await page.getByRole('listitem').filter({ hasText: 'empty.txt' }).getByRole('alert').getByText('The file is empty.').waitFor();
    const names = (await w.h.request('GET', '/get_filenames', { key, query: { bot_id: botId } })).body.data.map((f: any) => f.filename);
    expect(names.sort()).toEqual(['lighthouse.txt', 'tides.md']);

    await audit(page, 'knowledge', 1280);
    await ctx.close();
  }, 90_000);

  it('scrapes a website: pages appear while the crawl runs, then the status line says it finished', async () => {
    const { ctx, page } = await openPage(w, session, `/app/bots/${botId}/knowledge`, { heading: 'Knowledge' });
    await page.getByLabel('Website URL').fill(`${site.origin}/`);
    await page.getByLabel('Most pages').fill('10');
    await page.getByRole('button', { name: 'Scrape website' }).click();
    const status = page.locator('.crawl-status');
    await status.getByText(/^Crawling/).waitFor();
    const pages = page.getByRole('table', { name: 'Pages' });
    // A page is listed while the status line still says the crawl runs.
    await page.waitForFunction(() => {
      const d = (globalThis as any).document;
      return /^Crawling/.test(d.querySelector('.crawl-status')?.textContent ?? '') && d.querySelectorAll('table[aria-label="Pages"] tbody tr').length > 0;
    });
    await status.getByText(/finished: 4 pages found, 4 indexed/).waitFor({ timeout: 60_000 });
    for (const title of ['Observatory', 'Comets', 'Moons', 'Tides']) await pages.getByRole('row').filter({ hasText: title }).locator('.badge', { hasText: 'ready' }).waitFor();
    const stored = (await w.h.request('GET', '/get_pagenames', { key, query: { bot_id: botId } })).body.data;
    expect(stored.map((p: any) => p.title).sort()).toEqual(['Comets', 'Moons', 'Observatory', 'Tides']);
    expect(stored.every((p: any) => p.status === 'ready')).toBe(true);

    // Deleting a page removes it from the API's list and the table.
    await page.getByRole('button', { name: `Delete page ${site.origin}/tides` }).click();
    await pages.getByRole('row').filter({ hasText: 'Tides' }).waitFor({ state: 'detached' });
    expect((await w.h.request('GET', '/get_pagenames', { key, query: { bot_id: botId } })).body.data).toHaveLength(3);
    await ctx.close();
  }, 120_000);

  it('streams a reply in the playground, shows its sources and the prompt the model got, and starts over', async () => {
    const { ctx, page, urls } = await openPage(w, session, `/app/bots/${botId}/playground`, { heading: 'Playground' });
    // Every text the reply bubble shows is recorded, so a partial one is seen however fast it passes.
    await page.evaluate((full) => {
      const g = globalThis as any;
      const log = g.document.querySelector('[role=log]');
      new g.MutationObserver(() => {
        const texts: string[] = [...log.querySelectorAll('.msg.assistant .msg-text')].map((n: any) => n.textContent ?? '');
        if (texts.some((t) => t.length > 0 && t !== '…' && t.length < full.length && full.startsWith(t))) g.sawPartial = true;
      }).observe(log, { subtree: true, childList: true, characterData: true });
    }, REPLY);
    w.llm.next({ reply: REPLY, chunkDelayMs: 40 });
    const before = w.llm.requests.length;
    await page.getByLabel('Message').fill('Who kept the lighthouse?');
    await page.getByLabel('Message').press('Enter');
    await page.waitForFunction(() => (globalThis as any).sawPartial === true);
    const log = page.getByRole('log');
    await log.locator('.msg.assistant .msg-text', { hasText: REPLY }).waitFor();
    expect(await log.getAttribute('aria-live')).toBe('polite');
    expect(await log.textContent()).toContain('Hi, I am Luna!');

    const chat = w.llm.requests.slice(before).find((r) => Array.isArray(r.messages));
    expect(chat).toBeTruthy();
    const sent = JSON.stringify(chat!.messages);
    expect(sent).toContain(FIRST_PROMPT);
    expect(sent).toContain('Who kept the lighthouse?');

    await page.getByRole('button', { name: 'Show sources' }).click();
    await log.getByText('lighthouse.txt').waitFor();

    await page.getByRole('button', { name: 'Show prompt' }).click();
    const assembled = page.getByRole('region', { name: 'Assembled prompt' });
    await assembled.getByText(FIRST_PROMPT, { exact: false }).first().waitFor();
    expect(await assembled.textContent()).toContain('Who kept the lighthouse?');

    const conv = await w.h.request('POST', '/get_conversations', { key, body: { bot_id: botId } });
    const mine = conv.body.data.filter((c: any) => c.user_id.startsWith('playground-'));
    expect(mine).toHaveLength(1);

    await audit(page, 'playground', 1280);

    const who = async () => page.locator('p.muted code').first().textContent();
    const firstUser = await who();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await waitUntil(who, (v) => v !== firstUser, 'a new playground user id');
    expect(await log.locator('.msg').count()).toBe(0);
    expect(await who()).toMatch(/^playground-acct_/);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();
  }, 90_000);

  it.each([
    ['bot-editor', () => `/app/bots/${botId}`, 'Luna'],
    ['knowledge', () => `/app/bots/${botId}/knowledge`, 'Knowledge'],
    ['playground', () => `/app/bots/${botId}/playground`, 'Playground'],
  ])('shows %s at 360 px with no horizontal scroll and no serious accessibility violation', async (name, path, heading) => {
    const { ctx, page, errors, urls } = await openPage(w, session, path(), { width: 360, heading });
    await audit(page, name, 360);
    if (name === 'bot-editor') {
      for (const tab of ['Opening message', 'Sliders', 'Appearance', 'Calendar & transfer', 'Voice', 'Policy']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tabpanel').getByRole('button', { name: /^Save/ }).first().waitFor();
        await expectNoSideScroll(page, 360, `${name}, tab ${tab}`);
      }
      await audit(page, 'bot-editor-policy', 360);
    }
    expect(errors).toEqual([]);
    expect(urls.filter((u) => !u.startsWith(w.base))).toEqual([]);
    await ctx.close();
  }, 60_000);
});
