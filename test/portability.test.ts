import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, uniqueEmail, type Harness } from './support/harness.js';
import { importAccountArchive } from '../src/features/portability/import-account.js';
import { LEFT_OUT, TABLES } from '../src/features/portability/archive-tables.js';
import { ArchiveError } from '../src/features/portability/archive-format.js';

// Account archives end to end: a rich account built through the API, downloaded from
// /export_account_data, imported into the same server as a new account and read back through the API.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ALLOW_PRIVATE_URLS: 'true' });
});
afterAll(async () => {
  await h.close();
});

const FACT = 'The lighthouse of Port Velin is painted violet every spring by the keeper, Ondra Salo.';
const ID = /^(acct|key|bot|usr|conv|msg|src|num|call|camp|whk|evt|pv|rr|log|dlv|fb|chk|sms|ct|ntf)_[0-9a-z]{26}$/;

/** Ids replaced by a placeholder, so two accounts' data compare equal when only their ids differ. */
const withoutIds = (v: unknown): unknown => {
  if (typeof v === 'string') return ID.test(v) ? '<id>' : v;
  if (Array.isArray(v)) return v.map(withoutIds);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutIds(x)]));
  return v;
};

async function upload(key: string, botId: string, name: string, content: string) {
  const boundary = `----sinth${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="bot_id"\r\n\r\n${botId}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/markdown\r\n\r\n${content}\r\n`),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const res = await h.app.inject({ method: 'POST', url: '/upload', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'api-key': key } });
  expect(res.statusCode, res.body).toBe(200);
  const sourceId = res.json().source_id as string;
  for (let i = 0; i < 150; i++) {
    const list = await h.request('GET', '/get_filenames', { key, query: { bot_id: botId } });
    const row = list.body.data.find((r: any) => r.file_id === sourceId);
    if (row?.status === 'ready') return sourceId;
    if (row?.status === 'failed') throw new Error(row.error);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('upload did not settle');
}

async function ok(method: 'GET' | 'POST', url: string, key: string, payload: Record<string, unknown>) {
  const res = await h.request(method, url, method === 'GET' ? { key, query: payload as Record<string, string> } : { key, body: payload });
  expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

/** An account with a bot of every kind of data the API can make without a provider. */
async function richAccount() {
  const account = await h.signup();
  const { key } = account;
  const bot = await h.createBot(key, { name: 'Harbour guide', prompt: 'You are a harbour guide.' });
  const botId: string = bot.bot_id;
  await ok('POST', '/edit_prompt', key, { bot_id: botId, prompt: 'You are a cheerful harbour guide.' });
  await ok('POST', '/edit_prompt', key, { bot_id: botId, prompt: 'You are a cheerful harbour guide of Port Velin.' });
  await ok('POST', '/edit_values', key, { bot_id: botId, values: { humor: 80, curiosity: 30 } });
  await ok('POST', '/edit_opening_message', key, { bot_id: botId, opening_message: 'Ahoy!' });
  await ok('POST', '/retrain_response', key, { bot_id: botId, question: 'When do ferries leave?', response: 'Every hour, on the hour.' });
  await upload(key, botId, 'velin.md', `# Port Velin\n\n${FACT}\n\nFerries leave every hour from the north pier.`);
  await ok('POST', '/create_user', key, { bot_id: botId, user_id: 'fan-1', name: 'Alicia', phone: '+12025550143', tags: ['vip'], attributes: { city: 'Velin' } });
  await ok('POST', '/create_user', key, { bot_id: botId, user_id: 'fan-2', name: 'Bo', phone: '+12025550144' });
  const first = await ok('POST', '/conversation_api', key, { creator: botId, user_id: 'fan-1', message: 'When do ferries leave?' });
  await ok('POST', '/conversation_api', key, { creator: botId, user_id: 'fan-1', message: 'Who paints the lighthouse?' });
  await ok('POST', '/add_message_to_conversation', key, { conversation_id: first.conversation_id, role: 'operator', content: 'Sam from the harbour office here.' });
  await ok('POST', '/feedback_api', key, { message_id: first.message_id, rating: 'up', comment: 'spot on' });
  const hook = await ok('POST', '/add_webhook', key, { url: 'http://127.0.0.1:9/hook', events: ['user.created'] });
  await ok('POST', '/edit_notification_settings', key, { emails: ['ops@example.com'], events: ['takeover_requested'], digest: true });
  const number = `+1202555${String(Math.floor(Math.random() * 9000) + 1000)}`;
  await ok('POST', '/assign_phone_number', key, { phone_number: number, bot_id: botId, provider: 'sandbox' });
  const campaign = await ok('POST', '/send_bulk_messages', key, { bot_id: botId, audience: { user_ids: ['fan-1', 'fan-2'] }, message: 'Hi {{name}}, the night ferry runs tonight.', schedule_at: new Date(Date.now() + 86_400_000).toISOString() });
  return { ...account, botId, conversationId: first.conversation_id as string, webhookSecret: hook.secret as string, number, campaignId: campaign.campaign_id as string };
}

async function exportArchive(key: string): Promise<Buffer> {
  const res = await h.app.inject({ method: 'POST', url: '/export_account_data', headers: { 'api-key': key } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe('application/gzip');
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="sinth-account-acct_[0-9a-z]{26}-\d{4}-\d{2}-\d{2}\.jsonl\.gz"$/);
  return res.rawPayload;
}

const importBuffer = (bytes: Buffer, email = uniqueEmail()) => importAccountArchive({ db: h.database.db, config: h.config, input: Readable.from([bytes]), email });

/** What the API shows of an account, ids left out: what an import must reproduce. */
async function accountView(key: string) {
  const bots = (await ok('GET', '/get_bots', key, {})).data;
  const botId = bots[0].bot_id;
  const conversations = (await ok('POST', '/get_conversations', key, { bot_id: botId })).data;
  const messages = [];
  for (const c of conversations) messages.push((await ok('GET', '/get_conversation_messages', key, { conversation_id: c.conversation_id })).data);
  return {
    botId,
    view: withoutIds({
      bots,
      values: await ok('GET', '/get_values', key, { bot_id: botId }),
      versions: (await ok('GET', '/get_prompt_versions', key, { bot_id: botId })).data,
      files: (await ok('GET', '/get_filenames', key, { bot_id: botId })).data,
      search: await ok('GET', '/search_knowledge', key, { bot_id: botId, query: 'who paints the lighthouse?' }),
      users: (await ok('GET', '/get_users', key, { bot_id: botId })).data,
      conversations,
      messages,
      // failing_since moves on its own as the worker tries the (unreachable) endpoint.
      webhooks: (await ok('GET', '/get_webhooks', key, {})).data.map(({ failing_since: _, ...w }: Record<string, unknown>) => w),
      notifications: await ok('GET', '/get_notification_settings', key, {}),
    }),
  };
}

async function rowCounts() {
  const counts: Record<string, number> = {};
  for (const t of ['accounts', 'api_keys', 'bots', 'messages', 'knowledge_chunks', 'webhooks', 'audit_logs']) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)}`.execute(h.database.db);
    counts[t] = rows[0]!.n;
  }
  return counts;
}

describe('export and import of an account', () => {
  it('imports as a new account with fresh ids whose data reads back the same through the API, twice over', async () => {
    const a = await richAccount();
    const archive = await exportArchive(a.key);
    const before = await accountView(a.key);
    // What is compared is there to compare.
    expect(before.view).toMatchObject({
      versions: [{}, {}, {}],
      users: [{}, {}],
      search: { data: [{ content: expect.stringContaining('painted violet') }] },
      messages: [expect.arrayContaining([expect.objectContaining({ role: 'operator', content: 'Sam from the harbour office here.' })])],
      webhooks: [{ url: 'http://127.0.0.1:9/hook' }],
      notifications: { emails: ['ops@example.com'], digest: true },
    });
    expect(JSON.stringify(before.view)).toContain('"rating":"up"');

    const first = await importBuffer(archive);
    const second = await importBuffer(archive);
    expect(first.account_id).not.toBe(a.accountId);
    expect(second.account_id).not.toBe(first.account_id);
    for (const imported of [first, second]) {
      const after = await accountView(imported.api_key);
      expect(after.botId).not.toBe(before.botId);
      // Webhooks come back with new secrets, the only difference in what the API shows.
      expect(after.view).toEqual(before.view);
      expect(imported.webhooks).toHaveLength(1);
      expect(imported.webhooks[0]!.secret).toMatch(/^whsec_/);
      expect(imported.webhooks[0]!.secret).not.toBe(a.webhookSecret);
      // The campaign was scheduled: it must not be sent a second time from here.
      const campaigns = (await ok('GET', '/get_bulk_campaigns', imported.api_key, {})).data;
      expect(campaigns).toMatchObject([{ status: 'canceled' }]);
      // The sandbox number stays with the account that has it on this server.
      expect(imported.notes.join('\n')).toContain(`number ${a.number} is already on this server`);
      expect((await ok('GET', '/get_phone_numbers', imported.api_key, {})).data).toEqual([]);
    }
    // The old account is untouched and the two imports share nothing.
    expect((await accountView(a.key)).view).toEqual(before.view);
    const ids = await sql<{ id: string }>`select id from messages where account_id in (${first.account_id}, ${second.account_id})`.execute(h.database.db);
    expect(new Set(ids.rows.map((r) => r.id)).size).toBe(ids.rows.length);
    // The bot's dictionary was rebuilt: a misspelled word is corrected as in the original.
    const typo = await ok('GET', '/search_knowledge', first.api_key, { bot_id: (await ok('GET', '/get_bots', first.api_key, {})).data[0].bot_id, query: 'lighthuose' });
    expect(typo.data[0].content).toContain('painted violet');
    // The import and the export are in the audit logs of their accounts.
    const logs = await sql<{ account_id: string; action: string }>`select account_id, action from audit_logs where action in ('account.exported', 'account.imported') and account_id in (${a.accountId}, ${first.account_id})`.execute(h.database.db);
    expect(logs.rows).toEqual(expect.arrayContaining([{ account_id: a.accountId, action: 'account.exported' }, { account_id: first.account_id, action: 'account.imported' }]));
  }, 60_000);

  it('holds no secret: no API key or its hash, no password or its hash, no webhook secret sealed or not', async () => {
    const a = await richAccount();
    const text = gunzipSync(await exportArchive(a.key)).toString('utf8');
    const { rows } = await sql<{ password_hash: string }>`select password_hash from accounts where id = ${a.accountId}`.execute(h.database.db);
    const hooks = await sql<{ secret_enc: string }>`select secret_enc from webhooks where account_id = ${a.accountId}`.execute(h.database.db);
    const keys = await sql<{ key_hash: string; prefix: string }>`select key_hash, prefix from api_keys where account_id = ${a.accountId}`.execute(h.database.db);
    expect(text).toContain(FACT); // the archive does hold the data
    const secrets = [a.key, a.password, rows[0]!.password_hash, a.webhookSecret, hooks.rows[0]!.secret_enc, ...keys.rows.flatMap((k) => [k.key_hash, k.prefix]), createHash('sha256').update(a.key).digest('hex')];
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/password_hash|key_hash|secret_enc|claim_token_hash|twilio_auth_token_enc|stripe_/);
  }, 30_000);

  it("holds nothing of another account", async () => {
    const a = await richAccount();
    const b = await h.signup();
    const other = await h.createBot(b.key, { name: 'Zyxqua secret bot', prompt: 'Only for account B: qwertzuiop.' });
    await ok('POST', '/conversation_api', b.key, { creator: other.bot_id, user_id: 'b-fan', message: 'a message of account B, plimsoll' });
    const text = gunzipSync(await exportArchive(a.key)).toString('utf8');
    for (const marker of [b.accountId, other.bot_id, 'Zyxqua', 'qwertzuiop', 'plimsoll', 'b-fan', b.email]) expect(text).not.toContain(marker);
    expect(text).toContain(a.accountId);
  }, 30_000);

  it('refuses a wrong format, another version, an edited, a cut or a non-gzip archive, and leaves the database as it was', async () => {
    const a = await richAccount();
    const archive = await exportArchive(a.key);
    const lines = gunzipSync(archive).toString('utf8').split('\n');
    const header = JSON.parse(lines[0]!);
    const withHeader = (patch: Record<string, unknown>) => gzipSync([JSON.stringify({ ...header, ...patch }), ...lines.slice(1)].join('\n'));
    const edited = gzipSync(lines.map((l) => l.replace('painted violet', 'painted green')).join('\n'));
    const cases: Array<[Buffer, RegExp]> = [
      [withHeader({ version: 2 }), /archive version 2 is not supported/],
      [withHeader({ format: 'something-else' }), /not a sinth account archive/],
      [withHeader({ schema: '9999-future' }), /newer database schema/],
      [edited, /checksum does not match/],
      [gzipSync(lines.slice(0, -2).join('\n')), /truncated/],
      [archive.subarray(0, Math.floor(archive.length / 2)), /not a readable gzip file/],
      [Buffer.from('PK\x03\x04 not gzip at all'), /not a readable gzip file/],
      [gzipSync(lines.map((l, i) => (i === 3 ? l.replace('"r":{', '"r":{"password_hash":"x",') : l)).join('\n')), /has no column "password_hash"/],
    ];
    const before = await rowCounts();
    for (const [bytes, message] of cases) {
      const err = await importBuffer(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await rowCounts()).toEqual(before);
    // The same archive untouched goes in.
    await expect(importBuffer(archive)).resolves.toMatchObject({ from_account_id: a.accountId });
  }, 60_000);

  it('refuses an email that an account here has, and takes the archived one when it is free', async () => {
    const a = await richAccount();
    const archive = await exportArchive(a.key);
    await expect(importBuffer(archive, a.email)).rejects.toThrow(/exists on this server already/);
    await sql`update accounts set email = ${'moved-' + a.email}, email_normalized = ${'moved-' + a.email} where id = ${a.accountId}`.execute(h.database.db);
    const report = await importAccountArchive({ db: h.database.db, config: h.config, input: Readable.from([archive]) });
    expect(report.email).toBe(a.email);
  }, 30_000);

  it('pages through large tables and keeps the order of messages, those of one millisecond included', async () => {
    const a = await h.signup();
    const bot = await h.createBot(a.key, { name: 'Chatty' });
    const start = Date.parse('2024-03-01T10:00:00Z');
    // Two messages a millisecond: their order is the order of their ids only.
    const history = (n: number) => Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${String(i).padStart(4, '0')}`, timestamp: new Date(start + Math.floor(i / 2)).toISOString() }));
    await ok('POST', '/import_conversation_history', a.key, { bot_id: bot.bot_id, user_id: 'bulk-1', messages: history(1100) });
    await ok('POST', '/import_conversation_history', a.key, { bot_id: bot.bot_id, user_id: 'bulk-2', messages: history(601) });
    const report = await importBuffer(await exportArchive(a.key));
    expect(report.rows.messages).toBe(1701);

    const contents = async (key: string) => {
      const botId = (await ok('GET', '/get_bots', key, {})).data[0].bot_id;
      const out: string[][] = [];
      for (const c of (await ok('POST', '/get_conversations', key, { bot_id: botId })).data) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await ok('GET', '/get_conversation_messages', key, { conversation_id: c.conversation_id, limit: 200, ...(cursor ? { cursor } : {}) });
          seen.push(...page.data.map((m: any) => m.content));
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        out.push(seen);
      }
      return out;
    };
    const before = await contents(a.key);
    expect(before.map((c) => c.length).sort()).toEqual([1100, 601]);
    expect(await contents(report.api_key)).toEqual(before);
  }, 60_000);

  it('decides every table of the schema: exported, or left out with a reason', async () => {
    const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(h.database.db);
    const decided = new Set([...TABLES.map((t) => t.name), ...Object.keys(LEFT_OUT), 'knowledge_embeddings']);
    expect(rows.map((r) => r.name).filter((n) => !decided.has(n))).toEqual([]);
  });
});
