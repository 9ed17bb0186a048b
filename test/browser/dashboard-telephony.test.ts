import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankOf } from '../../src/features/sms/statuses.js';
import { CallSimulator } from '../../src/features/voice/simulator/call-simulator.js';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { audit, auditPhone, creator, openPage, type Session } from '../support/dashboard.js';
import { randomUsNumber, startFakeTwilio, twilioEnv, type FakeTwilio } from '../support/fake-twilio.js';
import { waitUntil } from '../support/wait.js';

// Numbers (buy, import, assign, SMS log) and Calls (transcript, latency, test-call command, make_call
// errors) in the dashboard, against the fake Twilio; what the UI did is checked through the API.

const PUBLIC_URL = 'https://sinth.example.test';

describe.skipIf(!hasChromium)('dashboard: numbers and calls', () => {
  let w: BrowserWorld;
  let tw: FakeTwilio;
  let key: string;
  let session: Session;
  let botId: string;
  let bought: string;

  beforeAll(async () => {
    tw = await startFakeTwilio();
    w = await startBrowserWorld({ ...twilioEnv(tw), PUBLIC_URL });
    ({ key, botId, session } = await creator(w, { name: 'Luna', opening_message: 'Hi, this is Luna.' }));
  });
  afterAll(async () => {
    await w?.close();
    await tw?.close();
  });

  const numbers = async () => (await w.h.request('GET', '/get_phone_numbers', { key })).body.data as Array<Record<string, any>>;

  it('buys and imports numbers, routes one to a bot, and shows the SMS log with delivery status', async () => {
    bought = randomUsNumber();
    tw.addAvailable({ phoneNumber: bought, country: 'US', type: 'local', locality: 'Oakland', region: 'CA' });
    const { ctx, page, errors, urls } = await openPage(w, session, '/app/numbers', { heading: 'Numbers' });

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
    const smsStatus = async () => {
      const log = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId } });
      return log.body.data.find((s: any) => s.sms_id === sent.body.sms_id).status as string;
    };
    const before = await waitUntil(smsStatus, (s) => s !== 'queued', 'the text handed to Twilio');
    await page.getByRole('button', { name: 'Refresh log' }).click();
    const smsRow = page.locator('table.sms-log tr', { hasText: 'Your table is ready' });
    await smsRow.waitFor();
    const shown = (await smsRow.locator('.badge').textContent())!;
    const after = await smsStatus();
    // A status only moves forward (sending, sent, then a final one), and may move while the page reads it:
    // the page shows one the API gave between the read before the refresh and the one after it.
    expect(rankOf(shown), `shown ${shown}; API ${before} then ${after}`).toBeGreaterThanOrEqual(rankOf(before));
    expect(rankOf(shown), `shown ${shown}; API ${before} then ${after}`).toBeLessThanOrEqual(rankOf(after));
    if (rankOf(shown) === rankOf(after)) expect(shown).toBe(after);
    expect(await smsRow.textContent()).toContain(fan);

    await audit(page, 'numbers', 1280);
    expect(errors).toEqual([]);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();

    await auditPhone(w, session, '/app/numbers', 'numbers', async (p) => {
      await p.getByRole('form', { name: `Routing of ${bought}` }).waitFor();
      await p.locator('table.sms-log tr', { hasText: 'Your table is ready' }).waitFor();
    });
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

    const { ctx, page, errors, urls } = await openPage(w, session, '/app/calls', { heading: 'Calls' });
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
    await audit(page, 'calls', 1280);
    expect(errors).toEqual([]);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();

    await auditPhone(w, session, '/app/calls', 'calls', async (p) => {
      await p.getByRole('button', { name: /^Open call/ }).click();
      await p.locator('table.call-transcript').waitFor();
    });
  }, 120_000);
});
