import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startHarness, testConfig, type Harness } from './support/harness.js';
import { FAKE_EMBEDDING_DIMS, fakeEmbedding, startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { retrievePassages } from '../src/features/knowledge/retrieval.js';
import { createEmbeddings } from '../src/providers/embeddings/index.js';
import { reciprocalRankFusion } from '../src/features/knowledge/rank-fusion.js';
import { embedQuery, vectorRanked } from '../src/features/knowledge/vector-search.js';
import { embedSource } from '../src/features/knowledge/embed-passages.js';
import { storeEmbeddings } from '../src/features/knowledge/embeddings-store.js';

// Hybrid retrieval's parts: pgvector detected at start (and its absence reported, not fatal), passages
// embedded by a job through a real /v1/embeddings fake, nearest-passage search, and rank fusion.
// PGlite loads pgvector; the PostgreSQL here has none, so there the hybrid tests are skipped and the
// fallback is what is tested.

const onPostgres = inject('postgresUrl') !== null;

const LIGHTHOUSE = 'The violet lighthouse of Port Velin is painted by its keeper Ondra Salo each spring, and its lamp turns all night.';
const FERRY = 'Ferries to Mirel island leave the harbour quay hourly; tickets are sold aboard, and bicycles travel free.';
const MARKET = 'The fish market opens at dawn on Saturdays, selling smoked herring, oysters and sea salt from the dunes.';
/** A document of several passages: each section is long enough to be one or more passages of its own. */
const DOCUMENT = [LIGHTHOUSE, FERRY, MARKET].map((s, i) => `# Part ${i + 1}\n\n${Array.from({ length: 30 }, () => s).join(' ')}`).join('\n\n');

function multipart(fields: Record<string, string>, file: { name: string; content: string }) {
  const boundary = `----sinth${Math.random().toString(16).slice(2)}`;
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/markdown\r\n\r\n${file.content}\r\n--${boundary}--\r\n`);
  return { payload: Buffer.from(parts.join('')), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Uploads a Markdown file and waits for the worker to index it. */
async function uploadReady(h: Harness, key: string, botId: string, name: string, content: string): Promise<string> {
  const body = multipart({ bot_id: botId }, { name, content });
  const res = await h.app.inject({ method: 'POST', url: '/upload', payload: body.payload, headers: { ...body.headers, 'api-key': key } });
  expect(res.statusCode, res.body).toBe(200);
  const sourceId: string = res.json().source_id;
  for (let i = 0; i < 150; i++) {
    const row = (await h.request('GET', '/get_filenames', { key, query: { bot_id: botId } })).body.data.find((r: any) => r.file_id === sourceId);
    if (row?.status === 'failed') throw new Error(`source failed: ${row.error}`);
    if (row?.status === 'ready') return sourceId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`source ${sourceId} did not settle`);
}

const chunksOf = (h: Harness, sourceId: string) =>
  h.database.db.selectFrom('knowledge_chunks').select(['id', 'heading', 'content']).where('source_id', '=', sourceId).orderBy('position').execute();

async function embeddedIds(h: Harness, sourceId: string): Promise<string[]> {
  const { rows } = await sql<{ chunk_id: string }>`select e.chunk_id from knowledge_embeddings e join knowledge_chunks c on c.id = e.chunk_id where c.source_id = ${sourceId}`.execute(h.database.db);
  return rows.map((r) => r.chunk_id).sort();
}

/** Waits for the embedding job to have stored a vector for every passage of a source. */
async function allEmbedded(h: Harness, sourceId: string): Promise<string[]> {
  const want = (await chunksOf(h, sourceId)).map((c) => c.id).sort();
  for (let i = 0; i < 150; i++) {
    const have = await embeddedIds(h, sourceId);
    if (have.length === want.length) return have;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`passages of ${sourceId} were not all embedded`);
}

async function botAndKey(h: Harness) {
  const { key } = await h.signup();
  const bot = await h.createBot(key, { name: 'Harbour guide' });
  return { key, botId: bot.bot_id as string };
}

describe('reciprocal rank fusion', () => {
  it('sums 1/(k + rank) over the rankings, so agreement beats one top place', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['b', 'c', 'd'],
    ]);
    expect(fused.map((f) => f.id)).toEqual(['b', 'c', 'a', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused.find((f) => f.id === 'a')!.score).toBeCloseTo(1 / 61, 12);
    expect(fused.find((f) => f.id === 'd')!.score).toBeCloseTo(1 / 63, 12);
  });

  it('honours k, counts an id once per ranking, breaks ties by earlier ranking and place, and takes empty input', () => {
    expect(reciprocalRankFusion([['x'], ['y']], 0)).toEqual([
      { id: 'x', score: 1 },
      { id: 'y', score: 1 },
    ]);
    expect(reciprocalRankFusion([['a', 'a', 'b']], 0)).toEqual([
      { id: 'a', score: 1 },
      { id: 'b', score: 1 / 3 },
    ]);
    expect(reciprocalRankFusion([['p', 'q'], ['r', 's']]).map((f) => f.id)).toEqual(['p', 'r', 'q', 's']);
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], ['z']])).toEqual([{ id: 'z', score: 1 / 61 }]);
    expect(() => reciprocalRankFusion([['a']], -1)).toThrow(RangeError);
  });
});

describe('embeddings provider', () => {
  let llm: FakeOpenAi;
  let other: FakeOpenAi;
  beforeAll(async () => {
    llm = await startFakeOpenAi('llm-secret', { embeddingModel: 'embed-1' });
    // Takes the LLM's key too: a request that succeeds here would prove the LLM key was forwarded.
    other = await startFakeOpenAi('llm-secret', { embeddingModel: 'embed-1' });
  });
  afterAll(async () => {
    await llm.close();
    await other.close();
  });
  beforeEach(() => {
    llm.reset();
    other.reset();
  });

  it('is absent without EMBEDDING_MODEL, uses the LLM server and key by default, and batches inputs in order', async () => {
    expect(createEmbeddings(testConfig(modelEnv(llm)))).toBeNull();
    const provider = createEmbeddings(testConfig({ ...modelEnv(llm), EMBEDDING_MODEL: 'embed-1' }))!;
    const texts = Array.from({ length: 200 }, (_, i) => `text number ${i}`);
    const vectors = await provider.embed(texts);
    expect(vectors).toHaveLength(200);
    expect(vectors[150]).toEqual(fakeEmbedding('text number 150').map((x) => expect.closeTo(x, 12)));
    expect(llm.embedded.map((r) => r.input.length)).toEqual([96, 96, 8]);
    expect(llm.embedded.flatMap((r) => r.input)).toEqual(texts);
    expect(llm.embedded[0]).toMatchObject({ model: 'embed-1', authorization: 'Bearer llm-secret' });
  });

  it('sends EMBEDDING_API_KEY to EMBEDDING_BASE_URL, and never the LLM key', async () => {
    const withKey = createEmbeddings(testConfig({ ...modelEnv(llm), EMBEDDING_MODEL: 'embed-1', EMBEDDING_BASE_URL: other.url, EMBEDDING_API_KEY: 'wrong-key' }))!;
    await expect(withKey.embed(['hello'])).rejects.toMatchObject({ type: 'provider_error', message: 'embeddings: the embeddings server answered 401' });
    const withoutKey = createEmbeddings(testConfig({ ...modelEnv(llm), EMBEDDING_MODEL: 'embed-1', EMBEDDING_BASE_URL: other.url }))!;
    await expect(withoutKey.embed(['hello'])).rejects.toMatchObject({ message: 'embeddings: the embeddings server answered 401' });
    expect(llm.embedded).toEqual([]);
    const unknownModel = createEmbeddings(testConfig({ ...modelEnv(llm), EMBEDDING_MODEL: 'nope' }))!;
    await expect(unknownModel.embed(['hello'])).rejects.toMatchObject({ message: 'embeddings: the embeddings server answered 404' });
  });
});

describe.skipIf(onPostgres)('hybrid retrieval (PGlite with pgvector)', () => {
  let fake: FakeOpenAi;
  let h: Harness;
  beforeAll(async () => {
    fake = await startFakeOpenAi('llm-secret', { embeddingModel: 'embed-1' });
    h = await startHarness({ ...modelEnv(fake), EMBEDDING_MODEL: 'embed-1', EMBEDDING_QUERY_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('reports hybrid retrieval in /readyz', async () => {
    const ready = await h.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', retrieval: 'hybrid' } });
  });

  it('embeds every passage of an upload, and finds the nearest passage of the bot first', async () => {
    const { key, botId } = await botAndKey(h);
    const sourceId = await uploadReady(h, key, botId, 'harbour.md', DOCUMENT);
    const chunks = await chunksOf(h, sourceId);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(await allEmbedded(h, sourceId)).toEqual(chunks.map((c) => c.id).sort());

    // The fake received each passage (with its heading), with the right key and model.
    const sent = fake.embedded.flatMap((r) => r.input);
    for (const c of chunks) expect(sent).toContain(`${c.heading}\n\n${c.content}`);
    expect(fake.embedded.every((r) => r.model === 'embed-1' && r.authorization === 'Bearer llm-secret')).toBe(true);

    // Another bot's passage on the same subject is never returned for this bot.
    const other = await botAndKey(h);
    const otherSource = await uploadReady(h, other.key, other.botId, 'elsewhere.md', `# Lighthouse\n\n${LIGHTHOUSE}`);
    await allEmbedded(h, otherSource);

    const query = await embedQuery(h.deps, 'Who paints the violet lighthouse each spring?');
    expect(query).toHaveLength(FAKE_EMBEDDING_DIMS);
    const hits = await vectorRanked(h.database.db, botId, query!, 10, 'embed-1');
    expect(hits).toHaveLength(chunks.length);
    const byId = new Map(chunks.map((c) => [c.id, c]));
    expect(hits.every((hit) => byId.has(hit.chunk_id))).toBe(true);
    expect(byId.get(hits[0]!.chunk_id)!.content).toContain('violet lighthouse');
    expect(hits.map((hit) => hit.distance)).toEqual([...hits.map((hit) => hit.distance)].sort((a, b) => a - b));
    const market = await vectorRanked(h.database.db, botId, fakeEmbedding('smoked herring oysters'), 1);
    expect(byId.get(market[0]!.chunk_id)!.content).toContain('smoked herring');
    // Vectors of another model, or another dimension, are not compared.
    expect(await vectorRanked(h.database.db, botId, query!, 10, 'embed-2')).toEqual([]);
    expect(await vectorRanked(h.database.db, botId, [1, 0, 0], 10)).toEqual([]);

    // Deleting the file takes its vectors with it.
    expect((await h.request('POST', '/delete_file', { key, body: { bot_id: botId, filename: 'harbour.md' } })).body).toEqual({ deleted: 1 });
    expect(await vectorRanked(h.database.db, botId, query!, 10)).toEqual([]);
  });

  it('fuses full-text and vector rankings: a question sharing no word with a passage still finds it, in search and in a turn', async () => {
    const { key, botId, say } = await botWithKey(h, { name: 'Harbour guide' });
    const sourceId = await uploadReady(h, key, botId, 'harbour.md', DOCUMENT);
    await allEmbedded(h, sourceId);
    // Full-text search alone knows no "beacon"; the question's embedding is near the lighthouse passage.
    expect(await retrievePassages(h.database.db, botId, 'beacon', { limit: 8 })).toEqual([]);
    fake.reset();
    const found = await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'beacon' } });
    expect(found.body.data[0]).toMatchObject({ source_id: sourceId, filename: 'harbour.md' });
    expect(found.body.data[0].content).toContain('violet lighthouse');
    expect(fake.embedded.flatMap((r) => r.input)).toEqual(['beacon']);

    fake.next({ reply: 'Ondra Salo keeps it.' });
    const turn = await say('fan-1', 'Who keeps the beacon?');
    expect(turn.body.sources[0]).toMatchObject({ source_id: sourceId, filename: 'harbour.md' });
    expect(fake.requests[0]!.messages[0].content).toContain('violet lighthouse');
    // A passage both rankings agree on comes first.
    const both = await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'smoked herring' } });
    expect(both.body.data[0].content).toContain('smoked herring');
  });

  it('writes nothing twice when run again, and skips passages deleted meanwhile', async () => {
    const { key, botId } = await botAndKey(h);
    const sourceId = await uploadReady(h, key, botId, 'ferry.md', `# Ferries\n\n${FERRY}`);
    const [id] = await allEmbedded(h, sourceId);
    fake.reset();
    // A retried job finds nothing left to embed and asks the provider nothing.
    expect(await embedSource(h.deps, sourceId)).toBe(0);
    expect(fake.embedded).toEqual([]);
    // Storing the same vector again, or one for a passage that no longer exists, writes nothing and does not fail.
    expect(await storeEmbeddings(h.database.db, 'embed-1', [{ chunkId: id!, embedding: fakeEmbedding('x') }, { chunkId: 'chk_gone', embedding: fakeEmbedding('y') }])).toBe(0);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from knowledge_embeddings where chunk_id = ${id!}`.execute(h.database.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('leaves the question without a vector when the provider fails or is slow, so retrieval stays full-text', async () => {
    fake.failEmbeddings(500);
    expect(await embedQuery(h.deps, 'ferry times')).toBeNull();
    // No retry for a question, even after an error the client would retry.
    expect(fake.embedded).toHaveLength(1);
    fake.reset();
    fake.delayEmbeddings(10_000);
    const started = Date.now();
    expect(await embedQuery(h.deps, 'ferry times')).toBeNull();
    // Gave up at its timeout (300 ms here), long before the provider's answer.
    expect(Date.now() - started).toBeLessThan(8_000);
    // No retry for a question: one request each time.
    expect(fake.embedded).toHaveLength(1);
    expect(await embedQuery(h.deps, '   ')).toBeNull();
  });
});

describe('full-text only', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi('llm-secret', { embeddingModel: 'embed-1' });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('says so in /readyz without EMBEDDING_MODEL, and stays ready', async () => {
    const h = await startHarness(modelEnv(fake));
    try {
      const ready = await h.request('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', retrieval: 'full-text (EMBEDDING_MODEL not set)' } });
      expect(h.deps.embeddings).toBeNull();
    } finally {
      await h.close();
    }
  });

  // On PostgreSQL the server lacks pgvector; on PGlite the extension is simply not loaded.
  it('falls back when pgvector is missing: readyz says why, uploads work, nothing is sent to be embedded', async () => {
    const h = await startHarness({ ...modelEnv(fake), EMBEDDING_MODEL: 'embed-1' }, { vector: false });
    try {
      const ready = await h.request('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', retrieval: 'full-text (pgvector not installed)' } });
      expect(h.deps.embeddings).toBeNull();
      expect(await embedQuery(h.deps, 'lighthouse')).toBeNull();

      const { key, botId } = await botAndKey(h);
      await uploadReady(h, key, botId, 'velin.md', `# Port Velin\n\n${LIGHTHOUSE}`);
      const found = await h.request('GET', '/search_knowledge', { key, query: { bot_id: botId, query: 'who paints the lighthouse?' } });
      expect(found.body.data[0].content).toContain('violet lighthouse');
      expect(fake.embedded).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
