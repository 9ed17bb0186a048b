import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { sealTwilioToken } from '../../src/providers/twilio-client.js';
import { startHarness, type Harness } from './harness.js';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai.js';
import { startFakeTwilio, randomUsNumber, twilioEnv, type FakeTwilio } from './fake-twilio.js';
import { startFakeSinchSms, type FakeSinchSms } from './fake-sinch-sms.js';
import { modelEnv } from './conversation.js';

/**
 * A server wired to the fake model, the fake Twilio and the fake Sinch SMS API, and helpers that call
 * its SMS webhooks signed the way the providers sign them.
 */

export const PUBLIC_URL = 'https://sinth.example.test';
export const SINCH_SECRET = `sinch-secret-${randomBytes(8).toString('hex')}`;

export interface SmsWorld {
  h: Harness;
  llm: FakeOpenAi;
  tw: FakeTwilio;
  sinch: FakeSinchSms;
  close(): Promise<void>;
}

export async function startSmsWorld(): Promise<SmsWorld> {
  const llm = await startFakeOpenAi('llm-secret');
  const tw = await startFakeTwilio();
  const sinch = await startFakeSinchSms();
  const h = await startHarness({
    ...modelEnv(llm),
    PUBLIC_URL,
    ...twilioEnv(tw),
    SINCH_SMS_SERVICE_PLAN_ID: sinch.servicePlanId,
    SINCH_SMS_API_TOKEN: sinch.apiToken,
    SINCH_SMS_BASE_URL: sinch.url,
    SINCH_SMS_WEBHOOK_SECRET: SINCH_SECRET,
  });
  return {
    h,
    llm,
    tw,
    sinch,
    close: async () => {
      await h.close();
      await Promise.all([llm.close(), tw.close(), sinch.close()]);
    },
  };
}

/** A test file's world: started before its tests (handed to `set`), closed after them, its fakes reset before each test. */
export function useSmsWorld(set: (w: SmsWorld) => void): void {
  let world: SmsWorld;
  beforeAll(async () => {
    world = await startSmsWorld();
    set(world);
  });
  afterAll(async () => world.close());
  beforeEach(() => {
    world.llm.reset();
    world.tw.reset();
    world.sinch.reset();
  });
}

export const randomSid = (prefix: 'SM' | 'MM' = 'SM') => `${prefix}${randomBytes(16).toString('hex')}`;

/** A number row as the phone-numbers feature writes it (inserted directly; that feature is tested on its own). */
export async function addNumber(
  w: SmsWorld,
  at: { accountId: string; botId: string | null; provider?: 'twilio' | 'sinch'; phone?: string; sms?: boolean; imported?: { sid: string; token: string } },
): Promise<string> {
  const phone = at.phone ?? randomUsNumber();
  const provider = at.provider ?? 'twilio';
  const id = newId('num');
  await w.h.database.db
    .insertInto('phone_numbers')
    .values({
      id,
      account_id: at.accountId,
      phone_number: phone,
      provider,
      source: at.imported ? 'imported' : provider === 'sinch' ? 'sinch' : 'purchased',
      bot_id: at.botId,
      sms: at.sms ?? true,
      twilio_account_sid: at.imported?.sid ?? null,
      twilio_auth_token_enc: at.imported ? sealTwilioToken(w.h.config, id, at.imported.token) : null,
    })
    .execute();
  // Twilio refuses a From the account does not own (21606).
  if (provider === 'twilio') w.tw.addOwned(at.imported?.sid ?? w.tw.account.sid, phone);
  return phone;
}

/** A new account with a bot and an SMS number routed to it. */
export async function smsBot(w: SmsWorld, opts: { provider?: 'twilio' | 'sinch'; bot?: Record<string, unknown> } = {}) {
  const { key, accountId } = await w.h.signup();
  const bot = await w.h.createBot(key, { name: 'Luna', prompt: 'You are Luna.', ...opts.bot });
  const number = await addNumber(w, { accountId, botId: bot.bot_id, provider: opts.provider });
  return { key, accountId, botId: bot.bot_id as string, number };
}

/** The X-Twilio-Signature Twilio sends when it calls PUBLIC_URL + `path` (query included) with these form fields (repeated ones as arrays). */
export const twilioSignature = (token: string, path: string, params: Record<string, string | string[]>) => twilio.getExpectedTwilioSignature(token, `${PUBLIC_URL}${path}`, params);

/** POSTs a form to a Twilio webhook path, signed with `token` over PUBLIC_URL + path (or as `signature` says). */
export async function postTwilio(w: SmsWorld, path: string, params: Record<string, string>, opts: { token?: string; signature?: string | null } = {}) {
  const signature = opts.signature === undefined ? twilioSignature(opts.token ?? w.tw.account.token, path, params) : opts.signature;
  const res = await w.h.app.inject({
    method: 'POST',
    url: path,
    payload: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
  });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

/** Twilio's inbound message fields (telephony.md §3.2). */
export function twilioInbound(to: string, from: string, body: string, extra: Record<string, string> = {}, accountSid?: string) {
  const sid = randomSid();
  return { MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, AccountSid: accountSid ?? '', From: from, To: to, Body: body, NumMedia: '0', NumSegments: '1', ApiVersion: '2010-04-01', FromCountry: 'US', ...extra };
}

/** The headers Sinch signs an SMS callback with: base64 HMAC-SHA256 over the raw body, a nonce and the Unix timestamp. */
export function sinchSmsSignatureHeaders(body: string | Buffer, secret = SINCH_SECRET, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const nonce = randomBytes(12).toString('hex');
  const signature = createHmac('sha256', secret).update(Buffer.concat([Buffer.from(body), Buffer.from(`.${nonce}.${timestamp}`)])).digest('base64');
  return { 'x-sinch-webhook-signature': signature, 'x-sinch-webhook-signature-nonce': nonce, 'x-sinch-webhook-signature-timestamp': String(timestamp) };
}

/** POSTs a JSON event to the Sinch SMS webhook with Sinch's HMAC headers (or broken ones, as `opts` says). */
export async function postSinch(w: SmsWorld, payload: unknown, opts: { secret?: string; timestamp?: number; unsigned?: boolean; tamper?: boolean } = {}) {
  const body = JSON.stringify(payload);
  const res = await w.h.app.inject({
    method: 'POST',
    url: '/webhooks/sinch/sms',
    payload: opts.tamper ? body.replace('}', ',"x":1}') : body,
    headers: {
      'content-type': 'application/json',
      ...(opts.unsigned ? {} : sinchSmsSignatureHeaders(body, opts.secret, opts.timestamp)),
    },
  });
  return { status: res.statusCode, body: res.body };
}

export function sinchMo(to: string, from: string, body: string) {
  // Sinch writes MSISDNs without the +.
  return { type: 'mo_text', id: randomBytes(13).toString('hex').toUpperCase(), from: from.slice(1), to: to.slice(1), body, received_at: new Date().toISOString(), operator_id: '310260' };
}

/** Polls until `probe` returns something truthy (the server's worker runs the jobs); never a fixed sleep. */
export async function until<T>(probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const got = await probe();
    if (got) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until no SMS job is waiting or running: whatever a webhook set off has finished. */
export async function smsJobsDone(w: SmsWorld): Promise<void> {
  const schema = w.h.config.JOBS_SCHEMA;
  await until(async () => {
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(`${schema}.job`)} where name in ('sms.inbound', 'sms.send') and state in ('created', 'retry', 'active')`.execute(w.h.database.db);
    return Number(rows[0]!.n) === 0;
  }, 'the SMS jobs to finish');
}

export const smsRows = (w: SmsWorld, botId: string) => w.h.database.db.selectFrom('sms_messages').selectAll().where('bot_id', '=', botId).orderBy('id').execute();

/** What the fake Twilio sent to `to`. */
export const twilioSentTo = (w: SmsWorld, to: string) => w.tw.sent.filter((m) => m.to === to);
