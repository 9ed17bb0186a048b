import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { expectError, expectInvalid } from './support/assertions.js';
import { startFakeSite } from './support/fake-site.js';
import { sql } from 'kysely';
import { PRUNE_TERMS_JOB, pruneTerms } from '../src/features/knowledge/terms.js';

// The knowledge base end to end: uploads, URLs, feeds and crawls, ingested by the server's own worker,
// searched, and read by the bot (the fake model's recorded request shows what reached the prompt).

const FIXTURES = join(import.meta.dirname, 'fixtures', 'knowledge');
const FACT = 'The lighthouse of Port Velin is painted violet every spring by the keeper, Ondra Salo.';

let fake: FakeOpenAi;
let h: Harness;
let web: Server;
let webUrl: string;
let feedBody = 'name,price\nHarbour tour,12 EUR\nNight ferry,30 EUR\n';
beforeAll(async () => {
  fake = await startFakeOpenAi('llm-secret');
  h = await startHarness({ ...modelEnv(fake), ALLOW_PRIVATE_URLS: 'true', KNOWLEDGE_MAX_FILE_MB: '1', CRAWL_DELAY_MS: '0' });
  web = createServer((req, res) => {
    if (req.url === '/notes.md') return void res.writeHead(200, { 'content-type': 'text/markdown' }).end(`# Port Velin\n\n${FACT}\n`);
    if (req.url === '/feed.csv') return void res.writeHead(200, { 'content-type': 'text/csv' }).end(feedBody);
    if (req.url === '/gone') return void res.writeHead(404).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await h.close();
  await fake.close();
  await new Promise((r) => web.close(r));
});
beforeEach(() => fake.reset());

/** A multipart/form-data body as a browser sends it. */
function multipart(fields: Record<string, string>, file?: { name: string; type: string; content: Buffer }) {
  const boundary = `----sinth${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function upload(key: string, botId: string, file: { name: string; type: string; content: Buffer }) {
  const body = multipart({ bot_id: botId }, file);
  const res = await h.app.inject({ method: 'POST', url: '/upload', payload: body.payload, headers: { ...body.headers, 'api-key': key } });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

/** Waits for the worker to finish a source. */
async function settled(key: string, botId: string, list: '/get_filenames' | '/get_feeds' | '/get_pagenames', id: string, field = 'file_id') {
  for (let i = 0; i < 150; i++) {
    const res = await h.request('GET', list, { key, query: { bot_id: botId } });
    const row = res.body.data.find((r: any) => r[field] === id);
    if (row && (row.status === 'ready' || row.status === 'failed')) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`source ${id} did not settle`);
}

describe('upload, retrieval and the bot', () => {
  it('indexes an uploaded document, puts its passage in the prompt and names it in sources; deleted, it is gone at once', async () => {
    const { key, botId, say } = await botWithKey(h, { name: 'Guide', prompt: 'You are a harbour guide.' });
    const up = await upload(key, botId, { name: 'velin.md', type: 'text/markdown', content: Buffer.from(`# Port Velin\n\n${FACT}\n\nFerries leave every hour.`) });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ status: 'queued', duplicate: false });
    const file = await settled(key, botId, '/get_filenames', up.body.source_id);
    expect(file).toMatchObject({ filename: 'velin.md', status: 'ready', error: null });
    expect(file.chunks).toBeGreaterThan(0);

    const found = await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'who paints the lighthouse?' } });
    expect(found.body.data[0]).toMatchObject({ source_id: up.body.source_id, filename: 'velin.md' });
    expect(found.body.data[0].content).toContain('painted violet');
    expect(found.body.data[0].score).toBeGreaterThan(0);

    fake.next({ reply: 'Ondra Salo paints it violet.' });
    const res = await say('fan-1', 'Who paints the lighthouse, and what colour?');
    expect(res.body.sources).toEqual([{ source_id: up.body.source_id, kind: 'file', title: 'Port Velin', filename: 'velin.md', url: null }]);
    expect(fake.requests[0]!.messages[0].content).toContain(FACT);

    // conversation_inference reads the same knowledge, unless told not to.
    fake.next({ reply: 'Violet.' }, { reply: 'No idea.' });
    const dry = await h.request('POST', '/conversation_inference', { key, body: { bot_id: botId, messages: [{ role: 'user', content: 'Who paints the lighthouse?' }], debug: true } });
    expect(dry.body.sources).toEqual([{ source_id: up.body.source_id, kind: 'file', title: 'Port Velin', filename: 'velin.md', url: null }]);
    expect(dry.body.prompt.messages[0].content).toContain(FACT);
    const without = await h.request('POST', '/conversation_inference', { key, body: { bot_id: botId, messages: [{ role: 'user', content: 'Who paints the lighthouse?' }], use_knowledge: false, debug: true } });
    expect(without.body.sources).toEqual([]);
    expect(without.body.prompt.messages[0].content).not.toContain(FACT);

    expect((await h.request('POST', '/delete_file', { key, body: { bot_id: botId, filename: 'velin.md' } })).body).toEqual({ deleted: 1 });
    fake.next({ reply: 'I do not know.' });
    const after = await say('fan-1', 'Who paints the lighthouse?');
    expect(after.body.sources).toEqual([]);
    expect(fake.requests.at(-1)!.messages[0].content).not.toContain('painted violet');
    expect((await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'lighthouse' } })).body.data).toEqual([]);
  });

  it('matches other forms of a word (stemming), and a passage need not hold every word of the question', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const up = await upload(key, botId, { name: 'velin.txt', type: 'text/plain', content: Buffer.from(FACT) });
    await settled(key, botId, '/get_filenames', up.body.source_id);
    for (const query of ['lighthouses', 'which keepers paint towers violet at the harbour?']) {
      const res = await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query } });
      expect(res.body.data.map((p: any) => p.source_id), query).toEqual([up.body.source_id]);
    }
    expect((await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'submarine' } })).body.data).toEqual([]);
  });

  it("corrects a misspelled word to one of the bot's own words, and forgets a deleted document's words", async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const other = await botWithKey(h, { name: 'Sailor' });
    const up = await upload(key, botId, { name: 'velin.txt', type: 'text/plain', content: Buffer.from(FACT) });
    await settled(key, botId, '/get_filenames', up.body.source_id);
    const sub = await upload(other.key, other.botId, { name: 'sub.txt', type: 'text/plain', content: Buffer.from('The yellow submarine docks at the pier.') });
    await settled(other.key, other.botId, '/get_filenames', sub.body.source_id);
    const search = async (k: string, bot: string, query: string) => (await h.request('GET', '/search_knowledge', { key: k, query: { bot_id: bot, query } })).body.data.map((p: any) => p.source_id);

    for (const query of ['lighthuose', 'who is Ondar Salo?', 'vilet paint']) expect(await search(key, botId, query), query).toEqual([up.body.source_id]);
    // Corrections come from the bot's own words only: another bot's document is never suggested.
    expect(await search(key, botId, 'submarien')).toEqual([]);
    expect(await search(other.key, other.botId, 'submarien')).toEqual([sub.body.source_id]);

    const words = () => h.deps.db.selectFrom('knowledge_terms').select('term').where('bot_id', '=', botId).execute().then((rs) => rs.map((r) => r.term));
    expect(await words()).toEqual(expect.arrayContaining(['lighthous', 'violet', 'ondra']));
    await h.request('POST', '/delete_file', { key, body: { bot_id: botId, file_id: up.body.source_id } });
    // The deletion asked for the bot's dictionary to be pruned (a job, a little later); pruning drops
    // the words no remaining passage holds.
    const jobs = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${h.deps.config.JOBS_SCHEMA}.job`)} where name = ${PRUNE_TERMS_JOB} and data->>'bot_id' = ${botId}`.execute(h.deps.db);
    expect(jobs.rows[0]!.n).toBe(1);
    expect(await pruneTerms(h.deps.db, botId)).toBeGreaterThan(0);
    expect(await words()).toEqual([]);
    expect(await search(other.key, other.botId, 'submarine')).toEqual([sub.body.source_id]);
  });

  it('detects the same content uploaded twice and does not index it again', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const content = Buffer.from(`Unique fact ${Math.random()}: the ferry bell rings twice.`);
    const first = await upload(key, botId, { name: 'a.txt', type: 'text/plain', content });
    const second = await upload(key, botId, { name: 'b.txt', type: 'text/plain', content });
    expect(second.body).toMatchObject({ source_id: first.body.source_id, duplicate: true });
    const files = await h.request('GET', '/get_filenames', { key, query: { bot_id: botId } });
    expect(files.body.data).toHaveLength(1);
  });
});

describe('upload limits and types', () => {
  it('refuses a file over the limit with a 413', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const res = await upload(key, botId, { name: 'big.txt', type: 'text/plain', content: Buffer.alloc(1024 * 1024 + 10, 'a') });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ type: 'too_large', code: 'file_too_large', param: 'file' });
    expect((await h.request('GET', '/get_filenames', { key, query: { bot_id: botId } })).body.data).toEqual([]);
  });

  it('refuses a type it cannot read with a 415 naming what the file is, whatever its name', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const res = await upload(key, botId, { name: 'notes.pdf', type: 'application/pdf', content: readFileSync(join(FIXTURES, 'image.png')) });
    expect(res.status).toBe(415);
    expect(res.body.error.message).toMatch(/PNG/i);
  });

  it('marks a corrupt PDF failed with the reason', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const up = await upload(key, botId, { name: 'broken.pdf', type: 'application/pdf', content: readFileSync(join(FIXTURES, 'corrupt.pdf')) });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    const file = await settled(key, botId, '/get_filenames', up.body.source_id);
    expect(file.status).toBe('failed');
    expect(file.error).toMatch(/pdf/i);
  });

  it('names missing and bad fields', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const noFile = multipart({ bot_id: botId });
    const r1 = await h.app.inject({ method: 'POST', url: '/upload', payload: noFile.payload, headers: { ...noFile.headers, 'api-key': key } });
    expect(r1.json().error).toMatchObject({ code: 'missing_parameter', param: 'file' });
    const json = await h.request('POST', '/upload', { key, body: { bot_id: botId } });
    expectError(json, 415, 'unsupported_media');
    const other = await h.signup();
    const r2 = await upload(other.key, botId, { name: 'a.txt', type: 'text/plain', content: Buffer.from('x y z') });
    expect(r2.status).toBe(404);
  });
});

describe('files by URL and feeds', () => {
  it('fetches a file from a URL, and reports a URL that fails', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    const ok = await h.request('POST', '/upload_bubble', { key, body: { bot_id: botId, url: `${webUrl}/notes.md` } });
    expect(ok.body).toMatchObject({ status: 'queued' });
    expect(await settled(key, botId, '/get_filenames', ok.body.source_id)).toMatchObject({ status: 'ready', filename: 'notes.md', url: `${webUrl}/notes.md` });
    const bad = await h.request('POST', '/upload_bubble', { key, body: { bot_id: botId, url: `${webUrl}/gone` } });
    const failed = await settled(key, botId, '/get_filenames', bad.body.source_id);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.error).toContain('404');
    expectInvalid(await h.request('POST', '/upload_bubble', { key, body: { bot_id: botId, url: 'ftp://example.com/a.pdf' } }), 'url');
  });

  it('indexes a feed\'s rows with their labels, and on refresh re-indexes only changed rows and drops removed ones', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Guide' });
    feedBody = 'name,price\nHarbour tour,12 EUR\nNight ferry,30 EUR\n';
    const added = await h.request('POST', '/add_feed', { key, body: { bot_id: botId, url: `${webUrl}/feed.csv`, refresh_minutes: 30 } });
    const feed = await settled(key, botId, '/get_feeds', added.body.feed_id, 'feed_id');
    expect(feed).toMatchObject({ status: 'ready', rows: 2, refresh_minutes: 30 });
    expect(Date.parse(feed.next_refresh_at) - Date.parse(feed.last_refreshed_at)).toBe(30 * 60_000);
    const before = await h.database.db.selectFrom('knowledge_chunks').select(['id', 'content']).where('source_id', '=', added.body.feed_id).execute();
    expect(before.map((c) => c.content).sort()).toEqual(['name: Harbour tour\nprice: 12 EUR', 'name: Night ferry\nprice: 30 EUR']);

    feedBody = 'name,price\nHarbour tour,12 EUR\nSunset cruise,45 EUR\n';
    await h.request('POST', '/refresh_source', { key, body: { bot_id: botId, source_id: added.body.feed_id } });
    await new Promise((r) => setTimeout(r, 50));
    await settled(key, botId, '/get_feeds', added.body.feed_id, 'feed_id');
    const after = await h.database.db.selectFrom('knowledge_chunks').select(['id', 'content']).where('source_id', '=', added.body.feed_id).execute();
    expect(after.map((c) => c.content).sort()).toEqual(['name: Harbour tour\nprice: 12 EUR', 'name: Sunset cruise\nprice: 45 EUR']);
    // The unchanged row kept its passage.
    expect(after.find((c) => c.content.includes('Harbour'))!.id).toBe(before.find((c) => c.content.includes('Harbour'))!.id);
  });
});

describe('private addresses', () => {
  let strict: Harness;
  beforeAll(async () => {
    strict = await startHarness({ CRAWL_DELAY_MS: '0' });
  });
  afterAll(() => strict.close());

  it('refuses to fetch from a loopback address unless ALLOW_PRIVATE_URLS is set', async () => {
    const { key, botId } = await botWithKey(strict, { name: 'Guide' });
    const res = await strict.request('POST', '/upload_bubble', { key, body: { bot_id: botId, url: `${webUrl}/notes.md` } });
    let row: any;
    for (let i = 0; i < 150 && !(row?.status === 'failed' || row?.status === 'ready'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      row = (await strict.request('GET', '/get_filenames', { key, query: { bot_id: botId } })).body.data[0];
    }
    expect(row).toMatchObject({ file_id: res.body.source_id, status: 'failed' });
    expect(row.error).toMatch(/ALLOW_PRIVATE_URLS/);
  });
});

describe('scrape_website', () => {
  const page = (title: string, body: string, links: string[] = []) => ({
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html><head><title>${title}</title></head><body><nav>Menu</nav><main><h1>${title}</h1><p>${body}</p>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</main></body></html>`,
  });

  it('stores pages as they are crawled; a second crawl re-indexes changed pages and removes vanished ones', async () => {
    const site = await startFakeSite({
      '/robots.txt': { headers: { 'content-type': 'text/plain' }, body: 'User-agent: *\nDisallow: /private\n' },
      '/': page('Home', 'Welcome to the harbour office of Port Velin.', ['/ferries', '/private/staff', '/old']),
      '/ferries': page('Ferries', 'The night ferry to Ostra leaves at eleven from pier four.'),
      '/old': page('Old news', 'The winter market moved to the fish hall.'),
      '/private/staff': page('Staff', 'Secret staff rota.'),
    });
    try {
      const { key, botId } = await botWithKey(h, { name: 'Guide' });
      const crawl = await h.request('POST', '/scrape_website', { key, body: { bot_id: botId, url: `${site.origin}/`, max_pages: 10 } });
      expect(crawl.status, JSON.stringify(crawl.body)).toBe(200);
      let pages: any[] = [];
      for (let i = 0; i < 150 && pages.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        pages = (await h.request('GET', '/get_pagenames', { key, query: { bot_id: botId } })).body.data;
      }
      expect(pages.map((p) => p.title).sort()).toEqual(['Ferries', 'Home', 'Old news']);
      expect(pages.every((p) => p.status === 'ready' && p.crawl_id === crawl.body.source_id)).toBe(true);
      expect(site.paths()).not.toContain('/private/staff');
      const hit = await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'when does the night ferry leave' } });
      expect(hit.body.data[0]).toMatchObject({ kind: 'page', url: `${site.origin}/ferries`, title: 'Ferries' });

      const ferriesBefore = await h.database.db.selectFrom('knowledge_chunks').select('content').where('source_id', '=', pages.find((p) => p.title === 'Ferries').page_id).execute();
      expect(ferriesBefore[0]!.content).toContain('eleven');
      site.route('/', page('Home', 'Welcome to the harbour office of Port Velin.', ['/ferries']));
      site.route('/ferries', page('Ferries', 'The night ferry to Ostra now leaves at midnight from pier two.'));
      site.route('/old', { status: 404 });
      await h.request('POST', '/refresh_source', { key, body: { bot_id: botId, source_id: crawl.body.source_id } });
      for (let i = 0; i < 150 && pages.length !== 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        pages = (await h.request('GET', '/get_pagenames', { key, query: { bot_id: botId } })).body.data;
      }
      expect(pages.map((p) => p.title).sort()).toEqual(['Ferries', 'Home']);
      const ferriesAfter = await h.database.db.selectFrom('knowledge_chunks').select('content').where('source_id', '=', pages.find((p) => p.title === 'Ferries').page_id).execute();
      expect(ferriesAfter[0]!.content).toContain('midnight');
    } finally {
      await site.close();
    }
  });
});

describe('builtin mode', () => {
  let offline: Harness;
  beforeAll(async () => {
    offline = await startHarness();
  });
  afterAll(() => offline.close());

  it('answers from the best knowledge passage without a model, labelled, with its source', async () => {
    const { key, botId, say } = await botWithKey(offline, { name: 'Guide' });
    const body = multipart({ bot_id: botId }, { name: 'velin.md', type: 'text/markdown', content: Buffer.from(`# Port Velin\n\n${FACT}`) });
    const up = await offline.app.inject({ method: 'POST', url: '/upload', payload: body.payload, headers: { ...body.headers, 'api-key': key } });
    const sourceId = up.json().source_id;
    let status = 'queued';
    for (let i = 0; i < 150 && status !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await offline.request('GET', '/get_filenames', { key, query: { bot_id: botId } })).body.data[0].status;
    }
    const res = await say('fan-1', 'who paints the lighthouse?');
    expect(res.body).toMatchObject({ source: 'builtin', sources: [{ source_id: sourceId, filename: 'velin.md' }] });
    expect(res.body.reply).toMatch(/^\[sinth builtin mode\] From Port Velin: /);
    expect(res.body.reply).toContain('painted violet');
  });
});
