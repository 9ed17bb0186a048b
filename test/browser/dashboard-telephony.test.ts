import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallSimulator } from '../../src/features/voice/simulator/call-simulator.js';
import { axeViolations, hasChromium, loggedInContext, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { randomUsNumber, startFakeTwilio, twilioEnv, type FakeTwilio } from '../support/fake-twilio.js';

// Numbers (buy, import, assign, SMS log) and Calls (transcript, latency, test-call command, make_call
// errors) in the dashboard, against the fake Twilio; what the UI did is checked through the API.

const PUBLIC_URL = 'https://sinth.example.test';

describe.skipIf(!hasChromium)('dashboard: numbers and calls', () => {
  let w: BrowserWorld;
  let tw: FakeTwilio;
  let key: string;
  let session: Record<string, string>;
  let botId: string;
  let bought: string;

  beforeAll(async () => {
    tw = await startFakeTwilio();
    w = await startBrowserWorld({ ...twilioEnv(tw), PUBLIC_URL });
    const account = await w.h.signup();
    key = account.key;
    session = (await w.h.request('POST', '/login', { body: { email: account.email, password: account.password } })).body;
    botId = (await w.h.createBot(key, { name: 'Luna', opening_message: 'Hi, this is Luna.' })).bot_id;
  });
  afterAll(async () => {
    await w?.close();
    await tw?.close();
  });

  async function open(path: string, width: number, heading: string): Promise<{ ctx: BrowserContext; page: Page; urls: string[] }> {
    const ctx = await loggedInContext(w, session, { width });
    const page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    const urls = recordRequests(page);
    await page.goto(path);
    await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
    return { ctx, page, urls };
  }

  const numbers = async () => (await w.h.request('GET', '/get_phone_numbers', { key })).body.data as Array<Record<string, any>>;

  it('buys and imports numbers, routes one to a bot, and shows the SMS log with delivery status', async () => {
    bought = randomUsNumber();
    tw.addAvailable({ phoneNumber: bought, country: 'US', type: 'local', locality: 'Oakland', region: 'CA' });
    const { ctx, page, urls } = await open('/app/numbers', 1280, 'Numbers');

    // Search by area code and buy.
    await page.getByLabel('Area code (optional)').fill(bought.slice(2, 5));
    await page.getByRole('button', { name: 'Search numbers' }).click();
    await page.getByRole('button', { name: `Buy ${bought}` }).click();
    await page.getByText(`Bought ${bought}.`).waitFor();
    const purchase = tw.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/IncomingPhoneNumbers.json'));
    expect(purchase.map((r) => r.params.PhoneNumber)).toEqual([bought]);
    expect((await numbers()).find((n) => n.phone_number === bought)).toMatchObject({ source: 'purchased', bot_id: null });

    // Route it to the bot from its row.
    const row = page.locator('tr', { hasText: bought });
    await row.getByLabel(`Bot for ${bought}`).selectOption(botId);
    await row.getByRole('button', { name: 'Assign' }).click();
    await page.locator('tr', { hasText: bought }).getByRole('cell', { name: 'Luna', exact: true }).waitFor();
    expect((await numbers()).find((n) => n.phone_number === bought)).toMatchObject({ bot_id: botId, capabilities: { sms: true, voice: true } });

    // Import one from the creator's own Twilio account.
    const own = tw.addAccount();
    const mine = randomUsNumber();
    tw.addOwned(own.sid, mine);
    await page.getByLabel('Phone number').fill(mine);
    await page.getByLabel('Twilio account SID').fill(own.sid);
    await page.getByLabel('Twilio auth token').fill(own.token);
    await page.getByRole('button', { name: 'Import number' }).click();
    await page.getByText(`Imported ${mine}.`).waitFor();
    await page.locator('tr', { hasText: mine }).waitFor();
    expect((await numbers()).find((n) => n.phone_number === mine)).toMatchObject({ source: 'imported', provider: 'twilio' });

    // A text sent through the API shows in the SMS log with the status the API reports.
    const fan = randomUsNumber();
    const sent = await w.h.request('POST', '/send_sms', { key, body: { bot_id: botId, to: fan, body: 'Your table is ready' } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    let status = 'queued';
    for (let i = 0; i < 100 && status === 'queued'; i++) {
      const log = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId } });
      status = log.body.data.find((s: any) => s.sms_id === sent.body.sms_id).status;
      if (status === 'queued') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).not.toBe('queued');
    await page.getByRole('button', { name: 'Refresh log' }).click();
    const smsRow = page.locator('table.sms-log tr', { hasText: 'Your table is ready' });
    await smsRow.waitFor();
    expect(await smsRow.locator('.badge').textContent()).toBe(status);
    expect(await smsRow.textContent()).toContain(fan);

    await snapshot(page, 'numbers-1280');
    expect(await axeViolations(page)).toEqual([]);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();

    const small = await open('/app/numbers', 360, 'Numbers');
    await small.page.getByRole('form', { name: `Routing of ${bought}` }).waitFor();
    await small.page.locator('table.sms-log tr', { hasText: 'Your table is ready' }).waitFor();
    await snapshot(small.page, 'numbers-360');
    expect(await small.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await axeViolations(small.page)).toEqual([]);
    await small.ctx.close();
  }, 120_000);

  it('opens a call with its transcript and latency, shows the test-call command, and the API\'s no_caller_id error', async () => {
    // An inbound call to the bought number, played by the call simulator with Twilio's signed callbacks.
    const transport = (r: { path: string; headers: Record<string, string>; body: string }) =>
      w.h.app.inject({ method: 'POST', url: r.path, headers: r.headers, payload: r.body }).then((res) => ({ status: res.statusCode, body: res.body, headers: res.headers }));
    const sim = CallSimulator.twilio({ transport, publicUrl: PUBLIC_URL, accountSid: tw.account.sid, authToken: tw.account.token, from: randomUsNumber(), to: bought });
    w.llm.next({ reply: 'We open at nine.' });
    expect((await sim.start()).problems).toEqual([]);
    expect((await sim.say('When do you open?')).spoken.join(' ')).toContain('We open at nine.');
    const recording = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1';
    expect(await sim.notifyRecording(recording)).toBeLessThan(300);
    await sim.hangup({ duration: 42 });
    const calls = (await w.h.request('GET', '/get_calls', { key, query: { bot_id: botId } })).body.data;
    expect(calls).toHaveLength(1);
    const detail = (await w.h.request('GET', '/get_call', { key, query: { call_id: calls[0].call_id } })).body;
    const botTurn = detail.transcript.find((t: any) => t.text === 'We open at nine.');
    expect(botTurn.latency_ms).not.toBeNull();

    const { ctx, page, urls } = await open('/app/calls', 1280, 'Calls');
    await page.getByRole('button', { name: /^Open call/ }).click();
    const transcript = page.locator('table.call-transcript');
    await transcript.waitFor();
    const caller = transcript.locator('tr', { hasText: 'When do you open?' });
    expect(await caller.locator('td').first().textContent()).toBe('Caller');
    const answer = transcript.locator('tr', { hasText: 'We open at nine.' });
    expect(await answer.locator('td').first().textContent()).toBe('Bot');
    expect(await answer.textContent()).toContain(`${botTurn.latency_ms} ms server`);
    expect(await page.locator('dd', { hasText: 'bot turns' }).textContent()).toContain(`p50 ${detail.latency.p50_ms} ms`);
    // A recording on another host is shown as text, never loaded or linked from the dashboard.
    expect(detail.recording_url).toBe(recording);
    await page.locator('code', { hasText: recording }).waitFor();
    expect(await page.locator(`a[href="${recording}"]`).count()).toBe(0);

    // The simulator command for the chosen bot.
    await page.getByLabel('Bot to call with').selectOption(botId);
    // The bot's voice number is a Twilio one (no provider in its voice settings): the command says so.
    expect((await w.h.request('GET', '/get_voice_settings', { key, query: { bot_id: botId } })).body.voice.provider).toBeNull();
    const command = page.getByRole('group', { name: 'Test call command' }).locator('code');
    await command.waitFor();
    expect(await command.textContent()).toBe(`npx sinth call-sim --bot ${botId} --provider twilio`);
    expect(await page.getByText(`It calls ${bought}.`).count()).toBe(1);

    // make_call with a bot that has no number: the API's words.
    const silent = (await w.h.createBot(key, { name: 'Silent' })).bot_id;
    const refused = await w.h.request('POST', '/make_call', { key, body: { bot_id: silent, to: '+14155550123' } });
    expect(refused.body.error.code).toBe('no_caller_id');
    await page.reload();
    await page.getByLabel('Bot to call with').selectOption(silent);
    await page.getByLabel('Call to').fill('+14155550123');
    await page.getByRole('button', { name: 'Place call' }).click();
    const alert = page.getByRole('form', { name: 'Place a call' }).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(refused.body.error.message);

    await page.getByRole('button', { name: /^Open call/ }).click();
    await page.locator('table.call-transcript').waitFor();
    await snapshot(page, 'calls-1280');
    expect(await axeViolations(page)).toEqual([]);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();

    const small = await open('/app/calls', 360, 'Calls');
    await small.page.getByRole('button', { name: /^Open call/ }).click();
    await small.page.locator('table.call-transcript').waitFor();
    await snapshot(small.page, 'calls-360');
    expect(await small.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await axeViolations(small.page)).toEqual([]);
    await small.ctx.close();
  }, 120_000);
});
