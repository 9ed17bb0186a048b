import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, recordRequests, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { randomUsNumber, startFakeTwilio, twilioEnv, type FakeTwilio } from '../support/fake-twilio.js';
import { audit, auditPhone, campaignCreator, creator, openPage } from '../support/dashboard.js';

// Campaigns (texts through a fake Twilio, a real HTTP server) and analytics in the dashboard.

describe.skipIf(!hasChromium)('dashboard: campaigns and analytics', () => {
  let w: BrowserWorld;
  let fake: FakeTwilio;
  beforeAll(async () => {
    fake = await startFakeTwilio();
    w = await startBrowserWorld(twilioEnv(fake));
  });
  afterAll(async () => {
    await w?.close();
    await fake?.close();
  });

  it('counts the audience before sending, previews the template, schedules a campaign, lists and cancels it, then sends one and follows its progress', { timeout: 180_000 }, async () => {
    // The bot texts from its own number (owned on the fake, as Twilio would).
    const me = await campaignCreator(w, fake);
    const from = me.from;
    const fans = [
      { user_id: 'ana', name: 'Ana', phone: randomUsNumber('415'), attributes: { city: 'Lisbon' } },
      { user_id: 'bo', name: 'Bo', phone: randomUsNumber('415') },
      { user_id: 'cy', name: 'Cy', phone: randomUsNumber('415') },
      { user_id: 'di', name: 'Di', phone: randomUsNumber('415') },
    ];
    for (const f of fans) expect((await w.h.request('POST', '/create_user', { key: me.key, body: { bot_id: me.botId, ...f } })).status).toBe(200);
    expect((await w.h.request('POST', '/block_user', { key: me.key, body: { bot_id: me.botId, user_id: 'cy', blocked: true } })).status).toBe(200);
    // Di texted STOP (no public endpoint opts a user out; the inbound STOP path is tested with SMS).
    await w.h.deps.db.updateTable('end_users').set({ opted_out: true, opted_out_at: new Date() }).where('bot_id', '=', me.botId).where('user_id', '=', 'di').execute();
    const everyone = (await w.h.request('POST', '/preview_bulk_audience', { key: me.key, body: { bot_id: me.botId, audience: { all: true } } })).body;
    expect(everyone).toMatchObject({ matched: 4, reachable: 2, skipped: { blocked: 1, opted_out: 1 } });

    const { ctx, page, errors } = await openPage(w, me.session, '/app/campaigns');
    const keys: string[] = [];
    page.on('request', (r) => r.url().endsWith('/send_bulk_messages') && keys.push(r.headers()['idempotency-key'] ?? ''));
    const counts: unknown[] = [];
    page.on('request', (r) => r.url().endsWith('/preview_bulk_audience') && counts.push(r.postDataJSON()));

    // (The first count may be asked before these listeners exist: the request bodies are checked on later counts.)
    // Before anything is sent, the form says who a send would text: the API's reachable count and the skips by reason.
    const audienceStatus = page.getByRole('form', { name: 'Compose a campaign' }).getByRole('status');
    const counted = (text: string) => audienceStatus.filter({ hasText: text }).waitFor();
    await counted(`${everyone.reachable} will receive it; 2 skipped: 1 opted out, 1 blocked.`);
    await page.getByLabel('Audience').selectOption('user_ids');
    await counted('Enter user ids to count the audience.');
    await page.getByRole('textbox', { name: /^User ids/ }).fill('ana\nbo\ndi\nnobody');
    await counted('2 will receive it; 1 skipped: 1 opted out. 1 user id matches nobody.');
    expect(counts.at(-1)).toEqual({ bot_id: me.botId, audience: { user_ids: ['ana', 'bo', 'di', 'nobody'] } });
    // An audience the API refuses: its own words, from the same endpoint.
    await page.getByLabel('Audience').selectOption('tags');
    const longTag = 'x'.repeat(51);
    await page.getByRole('textbox', { name: /^Tags/ }).fill(longTag);
    const refusal = await w.h.request('POST', '/preview_bulk_audience', { key: me.key, body: { bot_id: me.botId, audience: { tags: [longTag] } } });
    expect(refusal.status).toBe(400);
    await page.getByRole('alert').filter({ hasText: refusal.body.error.message }).waitFor();
    await counted('The audience cannot be counted.');
    await page.getByLabel('Audience').selectOption('all');
    await counted(`${everyone.reachable} will receive it;`);
    expect(counts.at(-1)).toEqual({ bot_id: me.botId, audience: { all: true } });
    expect(await page.getByRole('alert').count()).toBe(0);

    await page.getByLabel('Message').fill('Hi {{name}}, see you in {{city|town}}!');
    const preview = page.getByLabel('Preview', { exact: true }).locator('.msg');
    await page.getByLabel('Preview for').selectOption('ana');
    const shown = (text: string) => page.waitForFunction((t) => (globalThis as any).document.querySelector('.sms-preview .msg')?.textContent === t, text);
    await shown('Hi Ana, see you in Lisbon!');
    await page.getByLabel('Preview for').selectOption('bo');
    await shown('Hi Bo, see you in town!');
    expect(await preview.textContent()).toBe('Hi Bo, see you in town!');
    // A placeholder the server would refuse is flagged before sending, in the server's words.
    await page.getByLabel('Message').fill('Hi {{first name}}');
    await page.getByText('message has invalid placeholders: {{first name}}', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Send campaign' }).isDisabled()).toBe(true);

    // Scheduled two days ahead, in the browser's local time.
    await page.getByLabel('Message').fill('Hi {{name}}, the tour is on!');
    await page.getByRole('switch', { name: 'Schedule for later' }).click();
    const local = await page.evaluate(() => {
      const d = new Date(Date.now() + 2 * 86_400_000);
      d.setSeconds(0, 0);
      const p = (n: number) => String(n).padStart(2, '0');
      return { value: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`, iso: d.toISOString() };
    });
    await page.getByLabel('Send at').fill(local.value);
    await page.getByRole('button', { name: 'Schedule campaign' }).click();
    await page.getByRole('status').filter({ hasText: 'Campaign scheduled: 4 recipients in the audience' }).waitFor();
    const card = page.getByRole('listitem').filter({ hasText: 'Hi {{name}}, the tour is on!' });
    await card.locator('.badge', { hasText: 'scheduled' }).waitFor();
    expect(await card.textContent()).toContain('Audience: 4 recipients');

    const listed = (await w.h.request('GET', '/get_bulk_campaigns', { key: me.key, query: {} })).body.data;
    expect(listed).toHaveLength(1);
    const id = listed[0].campaign_id;
    expect(await card.getAttribute('aria-label')).toBe(`Campaign ${id}`);
    // A fresh load finds it through get_bulk_campaigns alone.
    const urls = recordRequests(page);
    await page.reload();
    await card.locator('.badge', { hasText: 'scheduled' }).waitFor();
    expect(urls.some((u) => new URL(u).pathname === '/get_bulk_campaigns')).toBe(true);
    expect(urls.filter((u) => /get_activity_logs|get_bulk_campaign\?/.test(u))).toEqual([]);
    // The status filter asks the API for that status only.
    const [filtered] = await Promise.all([page.waitForRequest((r) => r.url().includes('/get_bulk_campaigns?')), page.getByLabel('Status').selectOption('completed')]);
    expect(new URL(filtered.url()).searchParams.get('status')).toBe('completed');
    await page.getByText('No campaigns match these filters.').waitFor();
    expect(await card.count()).toBe(0);
    await page.getByLabel('Status').selectOption('scheduled');
    await card.waitFor();
    // The card is shown already: the bot filter is checked by the request it makes, then the list it gives.
    const [byBot] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/get_bulk_campaigns') && r.url().includes('bot_id=')),
      page.getByLabel('Sent by').selectOption(me.botId),
    ]);
    const asked = new URL(byBot.url()).searchParams;
    expect(asked.get('bot_id')).toBe(me.botId);
    expect(asked.get('status')).toBe('scheduled');
    expect(((await byBot.json()) as { data: Array<{ campaign_id: string }> }).data.map((c) => c.campaign_id)).toEqual([id]);
    await card.waitFor();
    expect(await page.locator('.campaign').count()).toBe(1);
    await page.getByLabel('Status').selectOption('');
    const stored = (await w.h.request('GET', '/get_bulk_campaign', { key: me.key, query: { campaign_id: id } })).body;
    expect(stored).toMatchObject({ status: 'scheduled', bot_id: me.botId, message: 'Hi {{name}}, the tour is on!', quiet_hours: true, audience: { all: true } });
    expect(stored.schedule_at).toBe(local.iso);

    await card.getByRole('button', { name: 'Cancel campaign' }).click();
    await card.getByRole('button', { name: 'Yes, cancel campaign' }).click();
    await card.locator('.badge', { hasText: 'canceled' }).waitFor();
    expect((await w.h.request('GET', '/get_bulk_campaign', { key: me.key, query: { campaign_id: id } })).body.status).toBe('canceled');
    expect(fake.sent.filter((m) => m.from === from)).toHaveLength(0);

    // Now, outside quiet hours: the progress bar follows it to the end; the blocked fan is skipped.
    await page.getByRole('switch', { name: /Quiet hours/ }).click();
    await page.getByLabel('Message').fill('Hi {{name}}!');
    await page.getByRole('button', { name: 'Send campaign' }).click();
    await page.getByRole('progressbar', { name: /: 4 of 4 done$/ }).waitFor({ timeout: 60_000 });
    const sentCard = page.getByRole('listitem').filter({ hasText: 'Hi {{name}}!' });
    await sentCard.locator('.badge', { hasText: 'completed' }).waitFor();
    const sentText = await sentCard.textContent();
    // What was counted before sending is what happened: the reachable ones texted, the others skipped by the same reasons.
    expect(sentText).toContain(`${everyone.reachable} sent`);
    expect(sentText).toMatch(/2 skipped \((1 blocked, 1 opted out|1 opted out, 1 blocked)\)/);
    expect(fake.sent.filter((m) => m.from === from).map((m) => m.body).sort()).toEqual(['Hi Ana!', 'Hi Bo!']);
    // Each send carried an Idempotency-Key, a new one per campaign.
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    expect(keys.every((k) => /^[0-9a-f-]{36}$/.test(k))).toBe(true);

    await audit(page, 'campaigns', 1280);

    // Paging: 20 a page, the rest behind "Load more", newest first.
    const later = new Date(Date.now() + 86_400_000).toISOString();
    for (let i = 0; i < 19; i++) {
      const r = await w.h.request('POST', '/send_bulk_messages', { key: me.key, body: { bot_id: me.botId, audience: { all: true }, message: `Batch ${i}`, schedule_at: later } });
      expect(r.status).toBe(200);
    }
    await page.reload();
    await page.getByRole('listitem').filter({ hasText: 'Batch 18' }).waitFor();
    expect(await page.locator('.campaign').count()).toBe(20);
    expect(await card.count()).toBe(0);
    await page.getByRole('button', { name: 'Load more' }).click();
    await card.waitFor();
    expect(await page.locator('.campaign').count()).toBe(21);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/campaigns', 'campaigns', (p) => p.locator('.campaign').first().waitFor());
  });

  it('charts get_analytics: the accessible summary and data table carry the totals; another bot shows the empty state', { timeout: 120_000 }, async () => {
    const me = await creator(w, 'Nova');
    const quiet = await w.h.createBot(me.key, { name: 'Quiet' });
    const conv = (await w.h.request('POST', '/create_api_key', { key: me.key, body: { name: 'app', scope: 'conversation' } })).body.key;
    for (const message of ['hi', 'how are you?', 'bye']) {
      const res = await w.h.request('POST', '/conversation_api', { body: { api_key: conv, creator: me.botId, user_id: 'fan-a', message } });
      expect(res.status).toBe(200);
    }
    const totals = (await w.h.request('GET', '/get_analytics', { key: me.key, query: { interval: 'day' } })).body.totals;
    expect(totals.messages_in).toBe(3);

    const { ctx, page, errors } = await openPage(w, me.session, '/app/analytics');
    const chart = page.getByRole('img', { name: /^Messages by channel/ });
    await chart.waitFor();
    const desc = await chart.locator('desc').textContent();
    expect(desc).toContain(`API: ${totals.messages_by_channel.api}`);
    expect(totals.messages_by_channel.api).toBe(totals.messages_in + totals.messages_out);
    // The numbers are in a table for screen readers: today's row holds today's API messages.
    const table = page.locator('.visually-hidden table').filter({ hasText: 'Messages in and out' });
    expect(await table.locator('caption').textContent()).toContain(`In: ${totals.messages_in}`);
    const cells = await table.locator('tbody tr').last().locator('td').allTextContents();
    expect(cells).toEqual([String(totals.messages_in), String(totals.messages_out)]);
    expect(await page.locator('.kpis').textContent()).toContain(`Messages in${totals.messages_in}`);

    const analyticsQuery = async (act: () => Promise<unknown>) => {
      const [req] = await Promise.all([page.waitForRequest((r) => r.url().includes('/get_analytics')), act()]);
      return new URL(req.url()).searchParams;
    };
    const week = await analyticsQuery(() => page.getByRole('button', { name: 'Last 7 days' }).click());
    expect((Date.parse(week.get('to')!) - Date.parse(week.get('from')!)) / 86_400_000).toBe(7);
    await page.getByRole('button', { name: 'Last 7 days', pressed: true }).waitFor();
    expect((await analyticsQuery(() => page.getByLabel('Granularity').selectOption('hour'))).get('interval')).toBe('hour');
    await page.waitForLoadState('networkidle');
    await page.getByRole('img', { name: /^Messages by channel/ }).waitFor();
    await audit(page, 'analytics', 1280);

    await page.getByLabel('Bot').selectOption(quiet.bot_id);
    await page.getByText('Nothing happened in this range').waitFor();
    expect(await page.getByRole('img', { name: /^Messages by channel/ }).count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/analytics', 'analytics', (p) => p.getByRole('img', { name: /^Messages by channel/ }).waitFor());
  });
});
