import { afterAll, beforeAll, beforeEach } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { CallSimulator, type Transport } from '../../src/features/voice/simulator/call-simulator.js';
import type { Role } from '../../src/jobs/queue.js';
import { startHarness, type Harness } from './harness.js';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai.js';
import { startFakeTwilio, randomUsNumber, twilioEnv, type FakeTwilio } from './fake-twilio.js';
import { startFakeSinchVoice, type FakeSinchVoice } from './fake-sinch-voice.js';
import { modelEnv } from './conversation.js';
import { PUBLIC_URL } from './sms.js';

/**
 * A server wired to the fake model, the fake Twilio and the fake Sinch Calling API, and the call
 * simulator (the driver `sinth call-sim` uses) sending it signed callbacks as the providers would.
 */

export { PUBLIC_URL };

export interface VoiceWorld {
  h: Harness;
  llm: FakeOpenAi;
  tw: FakeTwilio;
  sinch: FakeSinchVoice;
  transport: Transport;
  close(): Promise<void>;
}

export async function startVoiceWorld(env: Record<string, string> = {}, opts: { role?: Role } = {}): Promise<VoiceWorld> {
  const llm = await startFakeOpenAi('llm-secret');
  const tw = await startFakeTwilio();
  const sinch = await startFakeSinchVoice();
  const h = await startHarness({
    ...modelEnv(llm),
    PUBLIC_URL,
    ...twilioEnv(tw),
    SINCH_APPLICATION_KEY: sinch.appKey,
    SINCH_APPLICATION_SECRET: sinch.appSecret,
    SINCH_VOICE_BASE_URL: sinch.url,
    ...env,
  }, opts);
  const transport: Transport = (r) => h.app.inject({ method: 'POST', url: r.path, headers: r.headers, payload: r.body }).then((res) => ({ status: res.statusCode, body: res.body, headers: res.headers }));
  return { h, llm, tw, sinch, transport, close: async () => {
    await h.close();
    await Promise.all([llm.close(), tw.close(), sinch.close()]);
  } };
}

/** A test file's world: started before its tests (handed to `set`), closed after them, its fakes reset before each test. */
export function useVoiceWorld(set: (w: VoiceWorld) => void, env: Record<string, string> = {}): void {
  let world: VoiceWorld;
  beforeAll(async () => {
    world = await startVoiceWorld(env);
    set(world);
  });
  afterAll(async () => world.close());
  beforeEach(() => {
    world.llm.reset();
    world.tw.reset();
    world.sinch.reset();
  });
}

/** A new account with a bot and a voice number of `provider` routed to it (inserted as the phone-numbers feature writes it). */
export async function voiceBot(w: VoiceWorld, opts: { provider?: 'twilio' | 'sinch'; bot?: Record<string, unknown>; sms?: boolean } = {}) {
  const { key, accountId } = await w.h.signup();
  const bot = await w.h.createBot(key, { name: 'Luna', prompt: 'You are Luna.', opening_message: 'Hi, this is Luna. What can I do for you?', ...opts.bot });
  const provider = opts.provider ?? 'sinch';
  const number = randomUsNumber();
  await w.h.database.db
    .insertInto('phone_numbers')
    .values({ id: newId('num'), account_id: accountId, phone_number: number, provider, source: provider === 'sinch' ? 'sinch' : 'purchased', bot_id: bot.bot_id, sms: opts.sms ?? true, voice: true })
    .execute();
  if (provider === 'twilio') w.tw.addOwned(w.tw.account.sid, number);
  return { key, accountId, botId: bot.bot_id as string, number };
}

/** A caller on the line to `to`, through `provider`'s signed callbacks. */
export function caller(w: VoiceWorld, provider: 'sinch' | 'twilio', to: string, from = randomUsNumber()): CallSimulator {
  return provider === 'sinch'
    ? CallSimulator.sinch({ transport: w.transport, publicUrl: PUBLIC_URL, appKey: w.sinch.appKey, appSecret: w.sinch.appSecret, from, to })
    : CallSimulator.twilio({ transport: w.transport, publicUrl: PUBLIC_URL, accountSid: w.tw.account.sid, authToken: w.tw.account.token, from, to });
}

export const callRows = (w: VoiceWorld, botId: string) => w.h.database.db.selectFrom('calls').selectAll().where('bot_id', '=', botId).orderBy('id').execute();
