import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

/**
 * The access rules of every keyed endpoint, driven by /openapi.json so that a new endpoint is covered
 * (or this test fails until it is): no key → 401, a conversation key on an admin endpoint → 403,
 * another account's bot → 404.
 */
let h: Harness;
let owner: { key: string };
let stranger: { key: string };
let conversationKey: string;
let foreignBot: string;
let operations: Array<{ method: 'GET' | 'POST'; path: string; security: Array<Record<string, string[]>>; op: any }>;

/** A valid request naming `bot` for each endpoint that takes a bot id: only the bot's owner may pass. */
const botScoped: Record<string, (bot: string) => { query?: Record<string, string>; body?: unknown }> = {
  'GET /get_bot': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_bot_name': (bot) => ({ query: { bot_id: bot } }),
  'POST /set_bot_name': (bot) => ({ body: { bot_id: bot, name: 'x' } }),
  'POST /toggle_bot_response': (bot) => ({ body: { bot_id: bot } }),
  'POST /delete_bot': (bot) => ({ body: { bot_id: bot } }),
  'GET /get_prompt': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_opening_message': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_ui': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_values': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_policy': (bot) => ({ query: { bot_id: bot } }),
  'POST /edit_policy': (bot) => ({ body: { bot_id: bot, policy: { age_gate: true } } }),
  'POST /edit_prompt': (bot) => ({ body: { bot_id: bot, prompt: 'p' } }),
  'POST /edit_opening_message': (bot) => ({ body: { bot_id: bot, opening_message: 'hi' } }),
  'POST /edit_ui': (bot) => ({ body: { bot_id: bot, ui: { theme: 'dark' } } }),
  'POST /edit_values': (bot) => ({ body: { bot_id: bot, values: { humor: 10 } } }),
  'POST /set_calendar_link': (bot) => ({ body: { bot_id: bot, url: 'https://cal.example/me' } }),
  'POST /set_transfer_number': (bot) => ({ body: { bot_id: bot, number: '+14155552671' } }),
  'POST /retrain_response': (bot) => ({ body: { bot_id: bot, question: 'q?', response: 'a' } }),
  'GET /get_prompt_versions': (bot) => ({ query: { bot_id: bot } }),
  'POST /restore_prompt_version': (bot) => ({ body: { bot_id: bot, version: 1 } }),
  'GET /retrieve_prompt': (bot) => ({ query: { bot } }),
  'POST /modify_prompt': (bot) => ({ body: { bot, prompt: 'p' } }),
  'GET /get_users': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_user': (bot) => ({ query: { bot_id: bot, user_id: 'u1' } }),
  'POST /create_user': (bot) => ({ body: { bot_id: bot, user_id: 'u1' } }),
  'POST /update_user': (bot) => ({ body: { bot_id: bot, user_id: 'u1', name: 'x' } }),
  'POST /block_user': (bot) => ({ body: { bot_id: bot, user_id: 'u1', blocked: true } }),
  'POST /delete_user': (bot) => ({ body: { bot_id: bot, user_id: 'u1' } }),
  'POST /add_message_to_conversation': (bot) => ({ body: { bot_id: bot, user_id: 'u1', role: 'operator', content: 'hi' } }),
  'POST /get_conversations': (bot) => ({ body: { bot_id: bot } }),
  'POST /import_conversation_history': (bot) => ({ body: { bot_id: bot, user_id: 'u1', messages: [{ role: 'user', content: 'hi', timestamp: '2024-01-01T00:00:00Z' }] } }),
  'POST /conversation_inference': (bot) => ({ body: { bot_id: bot, messages: [{ role: 'user', content: 'hi' }] } }),
  'POST /upload_bubble': (bot) => ({ body: { bot_id: bot, url: 'https://example.com/a.pdf' } }),
  'POST /scrape_website': (bot) => ({ body: { bot_id: bot, url: 'https://example.com/' } }),
  'POST /add_feed': (bot) => ({ body: { bot_id: bot, url: 'https://example.com/feed.csv' } }),
  'GET /get_filenames': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_pagenames': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_feeds': (bot) => ({ query: { bot_id: bot } }),
  'POST /delete_file': (bot) => ({ body: { bot_id: bot, filename: 'a.pdf' } }),
  'POST /delete_page': (bot) => ({ body: { bot_id: bot, url: 'https://example.com/' } }),
  'POST /delete_feed': (bot) => ({ body: { bot_id: bot, feed_id: 'src_00000000000000000000000000' } }),
  'POST /refresh_source': (bot) => ({ body: { bot_id: bot, source_id: 'src_00000000000000000000000000' } }),
  'GET /search_knowledge': (bot) => ({ query: { bot_id: bot, query: 'hours' } }),
  'POST /send_sms': (bot) => ({ body: { bot_id: bot, to: '+14155550123', body: 'hi' } }),
  'GET /get_sms_messages': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_phone_numbers': (bot) => ({ query: { bot_id: bot } }),
  'POST /purchase_twilio_number': (bot) => ({ body: { phone_number: '+14155550123', bot_id: bot } }),
  'POST /rent_twilio_number': (bot) => ({ body: { phone_number: '+14155550123', bot_id: bot } }),
  'POST /assign_phone_number': (bot) => ({ body: { phone_number: '+14155550123', bot_id: bot } }),
  'POST /make_call': (bot) => ({ body: { bot_id: bot, to: '+14155550123' } }),
  'GET /get_calls': (bot) => ({ query: { bot_id: bot } }),
  'GET /get_voice_settings': (bot) => ({ query: { bot_id: bot } }),
  'POST /edit_voice_settings': (bot) => ({ body: { bot_id: bot, voice: { locale: 'en-GB' } } }),
  'POST /send_bulk_messages': (bot) => ({ body: { bot_id: bot, audience: { all: true }, message: 'hi', channel: 'sms' } }),
  'GET /get_bulk_campaigns': (bot) => ({ query: { bot_id: bot } }),
  'POST /preview_bulk_audience': (bot) => ({ body: { bot_id: bot, audience: { all: true } } }),
  'GET /get_analytics': (bot) => ({ query: { bot_id: bot } }),
};

const takesBot = (op: any) =>
  (op.parameters ?? []).some((p: any) => p.name === 'bot_id' || p.name === 'bot') ||
  Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}).some((n) => n === 'bot_id' || n === 'bot');

beforeAll(async () => {
  h = await startHarness();
  owner = await h.signup();
  stranger = await h.signup();
  foreignBot = (await h.createBot(stranger.key, { name: 'Not yours' })).bot_id;
  conversationKey = (await h.request('POST', '/create_api_key', { key: owner.key, body: { name: 'widget', scope: 'conversation' } })).body.key;
  const doc = (await h.request('GET', '/openapi.json')).body;
  operations = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) =>
    Object.entries(ops).map(([method, op]: [string, any]) => ({ method: method.toUpperCase() as 'GET' | 'POST', path, security: op.security ?? [], op })),
  );
});
afterAll(() => h.close());

describe('access matrix', () => {
  it('refuses every keyed endpoint without a key (401)', async () => {
    const keyed = operations.filter((o) => o.security.length > 0);
    expect(keyed.length).toBeGreaterThanOrEqual(26);
    for (const o of keyed) {
      const res = await h.request(o.method, o.path, o.method === 'POST' ? { body: {} } : {});
      expect(res.status, `${o.method} ${o.path}`).toBe(401);
      expect(res.body.error.type).toBe('unauthenticated');
    }
  });

  it('refuses a conversation key on every admin endpoint (403)', async () => {
    const admin = operations.filter((o) => o.security.length > 0 && !o.security.some((s) => 'apiKeyParam' in s));
    expect(admin.length).toBeGreaterThanOrEqual(24);
    for (const o of admin) {
      const res = await h.request(o.method, o.path, { key: conversationKey, ...(o.method === 'POST' ? { body: {} } : {}) });
      expect(res.status, `${o.method} ${o.path}`).toBe(403);
      expect(res.body.error.type).toBe('forbidden');
    }
  });

  it('answers 404 for another account\'s bot on every endpoint that takes one', async () => {
    const scoped = operations.filter((o) => takesBot(o.op)).map((o) => `${o.method} ${o.path}`);
    const checked = scoped.filter((name) => !name.endsWith('/create_bot_before_login') && !name.endsWith('/create_bot'));
    expect(checked.sort()).toEqual(Object.keys(botScoped).sort());
    for (const name of checked) {
      const [method, path] = name.split(' ') as ['GET' | 'POST', string];
      const res = await h.request(method, path, { key: owner.key, ...botScoped[name]!(foreignBot) });
      expect(res.status, name).toBe(404);
      expect(res.body.error.type, name).toBe('not_found');
    }
    // The stranger's bot is untouched by all of the above.
    const still = await h.request('GET', '/get_prompt', { key: stranger.key, query: { bot_id: foreignBot } });
    expect(still.body).toMatchObject({ prompt: '', version: 1 });
  });
});
