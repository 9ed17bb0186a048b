/**
 * Knowledge-base benchmark on PostgreSQL, every measure next to a baseline taken in the same run:
 *  - ingestion of plain text and Markdown: the ingest job (ingestSource, called directly rather
 *    than through HTTP and the queue) for uploaded files, INGEST_CONCURRENCY at a time as a worker
 *    runs them, against one plain `insert … select from jsonb_to_recordset` of the same passages,
 *    already cut, per file, as many at a time; and the job's steps for one file at a time;
 *  - retrieval at BENCH_KB_CHUNKS_SMALL and BENCH_KB_CHUNKS_LARGE passages of one bot (plus other
 *    bots' passages): retrievePassages against the raw full-text SQL query alone;
 *  - crawling a local site of BENCH_KB_PAGES pages: crawlSite (delay 0, default concurrency), and
 *    ingestCrawl (the crawl job: crawl + chunk + store), against plain fetch of the same URLs.
 * Everything runs in a scratch database (sinth_bench_kb_<pid>) dropped at the end.
 *
 * Environment: BENCH_DATABASE_URL (an existing database to connect through), BENCH_KB_INGEST_MB (4),
 * BENCH_KB_ROUNDS (3, alternating rounds for ingestion and crawling; the median is kept),
 * BENCH_KB_CHUNKS_SMALL (10000), BENCH_KB_CHUNKS_LARGE (100000), BENCH_KB_OTHER_SHARE (0.1: other
 * bots' passages as a share of the bot's), BENCH_KB_QUERIES (200), BENCH_KB_QUERY_SECONDS (25: time
 * for the queries at one size; fewer than BENCH_KB_QUERIES are run when they are slow),
 * BENCH_KB_QUERY_TIMEOUT_MS (2000: statement_timeout of one retrieval), BENCH_KB_PAGES (200).
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { AppDeps } from '../src/core/context.js';
import { newId } from '../src/core/ids.js';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { JobQueue } from '../src/jobs/queue.js';
import { countTokens } from '../src/engine/history.js';
import { chunkMarkdown, type Chunk } from '../src/features/knowledge/chunker.js';
import { readPageLinks } from '../src/features/knowledge/crawl/page-links.js';
import { crawlSite } from '../src/features/knowledge/crawl/index.js';
import { INGEST_CONCURRENCY, ingestSource, type SourceRow } from '../src/features/knowledge/ingest.js';
import { ingestCrawl } from '../src/features/knowledge/ingest-crawl.js';
import { replacePassages } from '../src/features/knowledge/passages-store.js';
import { recordTerms } from '../src/features/knowledge/terms.js';
import { htmlToMarkdown, parseFile } from '../src/features/knowledge/parsers/index.js';
import { retrievePassages } from '../src/features/knowledge/retrieval.js';
import { markdownDocument, plainDocument, queries, rng, vocabulary, type Query, type Vocabulary } from './knowledge-corpus.js';
import { loadPassages, type LoadStats } from './knowledge-load.js';
import { sitePaths } from './knowledge-site.js';
import { codeVersion, machineDescription, median, num, round, scratchDatabase } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const INGEST_MB = num('BENCH_KB_INGEST_MB', 4);
const ROUNDS = num('BENCH_KB_ROUNDS', 3);
const CHUNKS_SMALL = num('BENCH_KB_CHUNKS_SMALL', 10_000);
const CHUNKS_LARGE = num('BENCH_KB_CHUNKS_LARGE', 100_000);
const OTHER_SHARE = num('BENCH_KB_OTHER_SHARE', 0.1);
const OTHER_BOTS = 3;
const QUERY_COUNT = num('BENCH_KB_QUERIES', 200);
const QUERY_SECONDS = num('BENCH_KB_QUERY_SECONDS', 25);
const QUERY_TIMEOUT_MS = num('BENCH_KB_QUERY_TIMEOUT_MS', 2000);
const PAGES = num('BENCH_KB_PAGES', 200);
/** crawlSite's default perHostConcurrency, which ingestCrawl uses; the fetch baseline uses the same. */
const CRAWL_CONCURRENCY = 2;
const LIMIT = 8;

const GOALS = { ingestMBps: 5, retrievalP95Ms: 30, crawlPagesPerS: 20 };

const log = (s: string) => process.stderr.write(`knowledge bench: ${s}\n`);

// ------------------------------------------------------------------------------------------------ setup

interface Fixture {
  handle: DatabaseHandle;
  accountId: string;
  bots: { main: string; ingest: string; baseline: string; crawl: string; others: string[] };
}

async function createFixture(handle: DatabaseHandle): Promise<Fixture> {
  const accountId = newId('acct');
  await handle.pool.query(`insert into accounts (id, email, email_normalized) values ($1, $2, $2)`, [accountId, `bench-kb-${process.pid}@example.com`]);
  const bot = async (name: string) => {
    const id = newId('bot');
    await handle.pool.query(`insert into bots (id, account_id, name) values ($1, $2, $3)`, [id, accountId, name]);
    return id;
  };
  return {
    handle,
    accountId,
    bots: {
      main: await bot('Luna'),
      ingest: await bot('Ingest'),
      baseline: await bot('Ingest baseline'),
      crawl: await bot('Crawl'),
      others: await Promise.all(Array.from({ length: OTHER_BOTS }, (_, i) => bot(`Other ${i + 1}`))),
    },
  };
}

// -------------------------------------------------------------------------------------------- ingestion

interface File {
  name: string;
  bytes: Buffer;
}

/** About INGEST_MB of documents from 64 KB to 1 MB, two Markdown files for each plain text one. */
function makeFiles(v: Vocabulary): File[] {
  const r = rng(42);
  const sizes = [256, 64, 1024, 128, 512, 96, 768, 192];
  const files: File[] = [];
  let total = 0;
  for (let i = 0; total < INGEST_MB * 2 ** 20; i++) {
    const size = Math.min(sizes[i % sizes.length]! * 1024, INGEST_MB * 2 ** 20 - total + 1024);
    const md = i % 3 !== 2;
    const bytes = Buffer.from(md ? markdownDocument(r, v, size) : plainDocument(r, v, size));
    files.push({ name: `document-${i}.${md ? 'md' : 'txt'}`, bytes });
    total += bytes.length;
  }
  return files;
}

type IngestTarget = 'jobs' | 'baseline' | 'sequential';

interface IngestRun {
  target: IngestTarget;
  ms: number;
  mbps: number;
  /** sequential only: where the time went. */
  parseMs?: number;
  chunkMs?: number;
  storeMs?: number;
}

/** The files as uploaded sources waiting for the ingest job (bytes stored, status queued). */
async function createSources(fx: Fixture, botId: string, files: File[]): Promise<string[]> {
  const ids = files.map(() => newId('src'));
  await fx.handle.pool.query(
    `insert into knowledge_sources (id, account_id, bot_id, kind, status, filename, bytes)
     select id, $1, $2, 'file', 'queued', name, bytes from unnest($3::text[], $4::text[], $5::bigint[]) as f(id, name, bytes)`,
    [fx.accountId, botId, ids, files.map((f) => f.name), files.map((f) => f.bytes.length)],
  );
  await fx.handle.pool.query(`insert into knowledge_files (source_id, content) select * from unnest($1::text[], $2::bytea[])`, [ids, files.map((f) => f.bytes)]);
  return ids;
}

/** Runs work(i) for i in 0..n-1, `concurrency` at a time. */
async function pooled(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await work(next++);
  }));
}

/** The ingest job itself (ingestSource), INGEST_CONCURRENCY sources at a time, as a worker runs them. */
async function ingestJobs(fx: Fixture, deps: AppDeps, files: File[], sourceIds: string[]): Promise<IngestRun> {
  const started = performance.now();
  await pooled(files.length, INGEST_CONCURRENCY, (i) => ingestSource(deps, sourceIds[i]!));
  const ms = performance.now() - started;
  const { rows } = await fx.handle.pool.query<{ n: number }>(`select count(*)::int as n from knowledge_sources where id = any($1) and status = 'ready'`, [sourceIds]);
  if (rows[0]!.n !== files.length) throw new Error(`ingestion: ${files.length - rows[0]!.n} sources did not become ready`);
  return { target: 'jobs', ms, mbps: totalMb(files) / (ms / 1000) };
}

/** The ingest job's steps for each file in turn (ingest.ts, after loading the bytes), timed step by step (store: passages and words). */
async function ingestSequential(fx: Fixture, files: File[], sourceIds: string[]): Promise<IngestRun> {
  let parseMs = 0;
  let chunkMs = 0;
  let storeMs = 0;
  for (const [i, file] of files.entries()) {
    const source = { id: sourceIds[i]!, bot_id: fx.bots.ingest };
    const t0 = performance.now();
    const parsed = await parseFile(file.bytes, { filename: file.name });
    const t1 = performance.now();
    const passages = chunkMarkdown(parsed.markdown);
    const t2 = performance.now();
    await fx.handle.db.transaction().execute(async (trx) => {
      await replacePassages(trx, source, passages);
      await trx.updateTable('knowledge_sources').set({ status: 'ready', chunks: passages.length, title: parsed.title }).where('id', '=', source.id).execute();
    });
    await recordTerms(fx.handle.db, source);
    const t3 = performance.now();
    parseMs += t1 - t0;
    chunkMs += t2 - t1;
    storeMs += t3 - t2;
  }
  const ms = parseMs + chunkMs + storeMs;
  return { target: 'sequential', ms, mbps: totalMb(files) / (ms / 1000), parseMs, chunkMs, storeMs };
}

/** The same passages, already cut and counted, inserted with one plain statement per file in a transaction, INGEST_CONCURRENCY at a time. */
async function ingestBaseline(fx: Fixture, files: File[], chunks: Chunk[][], sourceIds: string[]): Promise<IngestRun> {
  const started = performance.now();
  await pooled(chunks.length, INGEST_CONCURRENCY, async (i) => {
    const rows = chunks[i]!.map((p) => ({ id: newId('chk'), position: p.position, heading: p.heading, content: p.content, tokens: p.tokens }));
    const client = await fx.handle.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into knowledge_chunks (id, source_id, bot_id, position, heading, content, tokens)
         select x.id, $1, $2, x.position, x.heading, x.content, x.tokens
         from jsonb_to_recordset($3::jsonb) as x(id text, position int, heading text, content text, tokens int)`,
        [sourceIds[i], fx.bots.baseline, JSON.stringify(rows)],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
  });
  const ms = performance.now() - started;
  return { target: 'baseline', ms, mbps: totalMb(files) / (ms / 1000) };
}

const totalMb = (files: File[]) => files.reduce((n, f) => n + f.bytes.length, 0) / 2 ** 20;

export interface IngestResults {
  files: number;
  mb: number;
  chunks: number;
  meanChunkTokens: number;
  concurrency: number;
  jobs: IngestRun;
  baseline: IngestRun;
  sequential: IngestRun;
  /** jobs ÷ baseline */
  ratio: number;
  /** chunkMarkdown over all files vs the tokenizer counting all the text once: how often the chunker tokenizes each byte. */
  chunkerMBps: number;
  tokenizeOnceMBps: number;
}

/** What the ingest job needs of the server: the database, limits, a quiet logger; the benchmark's fresh sources never queue a job. */
function ingestDeps(fx: Fixture): AppDeps {
  const jobs: JobQueue = { send: async (name) => { throw new Error(`the ingestion benchmark does not expect a ${name} job`); } };
  const config = { CRAWL_MAX_PAGES: 500, CRAWL_DELAY_MS: 0, ALLOW_PRIVATE_URLS: true, KNOWLEDGE_MAX_FILE_MB: 25, FETCH_TIMEOUT_MS: 15_000 };
  return { db: fx.handle.db, config, jobs, log: pino({ level: 'silent' }) } as unknown as AppDeps;
}

async function ingestion(fx: Fixture, v: Vocabulary): Promise<IngestResults> {
  const files = makeFiles(v);
  log(`ingestion: ${files.length} files, ${totalMb(files).toFixed(1)} MB, ${ROUNDS} rounds`);
  // Warm-up (JIT, the tokenizer's tables) and the passages the baseline inserts.
  const texts: string[] = [];
  const chunks: Chunk[][] = [];
  for (const f of files) {
    const parsed = await parseFile(f.bytes, { filename: f.name });
    texts.push(parsed.markdown);
    chunks.push(chunkMarkdown(parsed.markdown));
  }
  // The chunker against the tokenizer's own speed on the same text: three alternating passes each, the median kept.
  const pass = (fn: (text: string) => unknown) => {
    const t = performance.now();
    for (const text of texts) fn(text);
    return totalMb(files) / ((performance.now() - t) / 1000);
  };
  const chunkerPasses: number[] = [];
  const tokenizerPasses: number[] = [];
  for (let k = 0; k < 3; k++) {
    chunkerPasses.push(pass(chunkMarkdown));
    tokenizerPasses.push(pass(countTokens));
  }
  const deps = ingestDeps(fx);
  const botOf = (target: IngestTarget) => (target === 'baseline' ? fx.bots.baseline : fx.bots.ingest);
  const run = async (target: IngestTarget, some: File[], someChunks: Chunk[][]) => {
    const sources = await createSources(fx, botOf(target), some);
    if (target === 'jobs') return ingestJobs(fx, deps, some, sources);
    if (target === 'sequential') return ingestSequential(fx, some, sources);
    return ingestBaseline(fx, some, someChunks, sources);
  };
  for (const target of ['jobs', 'sequential', 'baseline'] as const) await run(target, files.slice(0, 2), chunks.slice(0, 2));

  const runs: IngestRun[] = [];
  const plan: IngestTarget[] = ['jobs', 'baseline', 'sequential'];
  for (let r = 0; r < ROUNDS; r++) {
    for (const target of r % 2 ? [...plan].reverse() : plan) {
      // Each run starts from empty passages and dictionaries, so none pays for another's index growth.
      await fx.handle.pool.query('truncate knowledge_chunks, knowledge_terms');
      runs.push(await run(target, files, chunks));
    }
  }
  await fx.handle.pool.query('truncate knowledge_chunks, knowledge_terms');
  const best = (target: IngestTarget) => roundRun(median(runs.filter((r) => r.target === target), (r) => r.mbps));
  const jobs = best('jobs');
  const baseline = best('baseline');
  const all = chunks.flat();
  return {
    files: files.length,
    mb: round(totalMb(files)),
    chunks: all.length,
    meanChunkTokens: round(all.reduce((n, c) => n + c.tokens, 0) / all.length, 0),
    concurrency: INGEST_CONCURRENCY,
    jobs,
    baseline,
    sequential: best('sequential'),
    ratio: round(jobs.mbps / baseline.mbps, 3),
    chunkerMBps: round(median(chunkerPasses, (x) => x)),
    tokenizeOnceMBps: round(median(tokenizerPasses, (x) => x)),
  };
}

const roundRun = (r: IngestRun): IngestRun => ({
  target: r.target,
  ms: round(r.ms, 0),
  mbps: round(r.mbps),
  ...(r.parseMs !== undefined ? { parseMs: round(r.parseMs, 0), chunkMs: round(r.chunkMs!, 0), storeMs: round(r.storeMs!, 0) } : {}),
});

// ------------------------------------------------------------------------------------------------ crawl

interface CrawlRun {
  target: 'fetch' | 'crawlSite' | 'ingestCrawl';
  pages: number;
  seconds: number;
  pagesPerS: number;
}

export interface CrawlResults {
  pages: number;
  htmlKb: number;
  fetch: CrawlRun;
  crawlSite: CrawlRun & { stopped: string; skipped: number; errors: number };
  ingestCrawl: CrawlRun & { chunks: number };
  ratio: number;
  /** CPU per page of the crawler's HTML work, in this process: readPageLinks and htmlToMarkdown. */
  linksMsPerPage: number;
  extractMsPerPage: number;
}

/** GET every URL with plain fetch, `concurrency` at a time, reading the body and nothing more. */
async function fetchAll(urls: string[], concurrency: number): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < urls.length) {
        const res = await fetch(urls[next++]!);
        await res.arrayBuffer();
        if (res.ok) ok++;
      }
    }),
  );
  return ok;
}

async function crawling(fx: Fixture): Promise<CrawlResults> {
  const child = fork(join(import.meta.dirname, 'knowledge-site.ts'), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, BENCH_KB_PAGES: String(PAGES) } });
  try {
    const site = await new Promise<{ origin: string; pages: number; htmlBytes: number }>((res, rej) => {
      child.once('message', (m) => res(m as { origin: string; pages: number; htmlBytes: number }));
      child.once('exit', (code) => rej(new Error(`benchmark site exited with ${code}`)));
    });
    const urls = sitePaths(PAGES).map((p) => `${site.origin}${p}`);
    log(`crawl: ${urls.length} pages at ${site.origin}, ${ROUNDS} rounds`);
    const options = { startUrl: `${site.origin}/`, maxPages: PAGES, delayMs: 0, allowPrivate: true };

    // The crawler's CPU work per page, measured alone on the site's own pages.
    const htmls = await Promise.all(urls.map(async (u) => (await fetch(u)).text()));
    const cpu = (fn: (html: string, url: string) => unknown) => {
      for (const [i, html] of htmls.slice(0, 20).entries()) fn(html, urls[i]!); // warm-up
      const t = performance.now();
      for (const [i, html] of htmls.entries()) fn(html, urls[i]!);
      return (performance.now() - t) / htmls.length;
    };
    const linksMsPerPage = cpu((html, url) => readPageLinks(html, new URL(url)));
    const extractMsPerPage = cpu((html, url) => htmlToMarkdown(html, url));

    const deps = ingestDeps(fx);
    const crawlSource = async (): Promise<SourceRow> => {
      const id = newId('src');
      return fx.handle.db
        .insertInto('knowledge_sources')
        .values({ id, account_id: fx.accountId, bot_id: fx.bots.crawl, kind: 'crawl', status: 'processing', url: options.startUrl, options: JSON.stringify({ max_pages: PAGES }) })
        .returningAll()
        .executeTakeFirstOrThrow();
    };

    await fetchAll(urls, CRAWL_CONCURRENCY); // warm-up
    await crawlSite(options, () => undefined);
    const runs: Array<CrawlResults['crawlSite'] | CrawlRun | CrawlResults['ingestCrawl']> = [];
    const timed = async <T>(fn: () => Promise<T>) => {
      const t = performance.now();
      const value = await fn();
      return { value, seconds: (performance.now() - t) / 1000 };
    };
    for (let r = 0; r < ROUNDS; r++) {
      const plan = ['fetch', 'crawlSite', 'ingestCrawl'] as const;
      for (const target of r % 2 ? [...plan].reverse() : plan) {
        if (target === 'fetch') {
          const { value: pages, seconds } = await timed(() => fetchAll(urls, CRAWL_CONCURRENCY));
          runs.push({ target, pages, seconds, pagesPerS: pages / seconds });
        } else if (target === 'crawlSite') {
          const { value: s, seconds } = await timed(() => crawlSite(options, () => undefined));
          runs.push({ target, pages: s.pages, seconds, pagesPerS: s.pages / seconds, stopped: s.stopped, skipped: s.skipped.length, errors: s.errors.length });
        } else {
          const source = await crawlSource();
          const { seconds } = await timed(() => ingestCrawl(deps, source));
          const row = await fx.handle.db.selectFrom('knowledge_sources').select(['rows', 'chunks']).where('id', '=', source.id).executeTakeFirstOrThrow();
          runs.push({ target, pages: row.rows ?? 0, seconds, pagesPerS: (row.rows ?? 0) / seconds, chunks: row.chunks });
        }
      }
    }
    const best = <T extends CrawlRun>(target: CrawlRun['target']) => {
      const m = median(runs.filter((r) => r.target === target), (r) => r.pagesPerS) as T;
      return { ...m, seconds: round(m.seconds, 3), pagesPerS: round(m.pagesPerS, 1) };
    };
    const fetchRun = best('fetch');
    const crawlRun = best<CrawlResults['crawlSite']>('crawlSite');
    return {
      pages: urls.length,
      htmlKb: round(site.htmlBytes / 1024, 0),
      fetch: fetchRun,
      crawlSite: crawlRun,
      ingestCrawl: best<CrawlResults['ingestCrawl']>('ingestCrawl'),
      ratio: round(crawlRun.pagesPerS / fetchRun.pagesPerS, 3),
      linksMsPerPage: round(linksMsPerPage),
      extractMsPerPage: round(extractMsPerPage),
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.connected) child.send('stop');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

// -------------------------------------------------------------------------------------------- retrieval

/** The raw SQL baseline: full-text match and rank, nothing else. */
const BASELINE_SQL = `
  select id, source_id, heading, content, tokens
  from knowledge_chunks
  where bot_id = $1 and tsv @@ websearch_to_tsquery('english', $2)
  order by ts_rank_cd(tsv, websearch_to_tsquery('english', $2)) desc
  limit ${LIMIT}`;

export interface Latency {
  n: number;
  p50: number | null;
  p95: number | null;
  /** Queries stopped by statement_timeout (counted as slower than every other). */
  timeouts: number;
  meanHits: number;
}

type Series = 'sinth' | 'baseline';

export interface ScaleResults {
  botChunks: number;
  tableRows: number;
  tableMb: number;
  load: LoadStats;
  queriesRun: number;
  series: Record<Series, Latency & { byKind: Record<Query['kind'], Latency> }>;
}

/** p-th percentile, nearest rank; null when it falls on a timed-out query. */
function latency(samples: Array<{ ms: number; hits: number }>): Latency {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (p: number) => {
    const x = ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(p * ms.length) - 1))];
    return x === undefined || !Number.isFinite(x) ? null : round(x);
  };
  const done = samples.filter((s) => Number.isFinite(s.ms));
  return { n: ms.length, p50: at(0.5), p95: at(0.95), timeouts: ms.length - done.length, meanHits: round(done.reduce((n, s) => n + s.hits, 0) / (done.length || 1), 1) };
}

async function measureQueries(fx: Fixture, q: DatabaseHandle, qs: Query[]): Promise<Pick<ScaleResults, 'queriesRun' | 'series'>> {
  const botId = fx.bots.main;
  const run: Record<Series, (text: string) => Promise<number>> = {
    sinth: async (text) => (await retrievePassages(q.db, botId, text, { limit: LIMIT })).length,
    baseline: async (text) => (await q.pool.query(BASELINE_SQL, [botId, text])).rowCount ?? 0,
  };
  const timedRun = async (series: Series, query: Query) => {
    const t = performance.now();
    try {
      const hits = await run[series](query.text);
      return { ms: performance.now() - t, hits };
    } catch (err) {
      if ((err as { code?: string }).code === '57014') return { ms: Infinity, hits: 0 }; // statement_timeout
      throw err;
    }
  };
  // Warm-up: plans, caches, connections (questions only, which finish even when retrieval is slow).
  for (const query of qs.filter((x) => x.kind === 'question').slice(0, 3)) for (const s of Object.keys(run) as Series[]) await timedRun(s, query);

  const samples: Record<Series, Array<{ kind: Query['kind']; ms: number; hits: number }>> = { sinth: [], baseline: [] };
  const started = performance.now();
  let i = 0;
  for (; i < qs.length && performance.now() - started < QUERY_SECONDS * 1000; i++) {
    const order: Series[] = i % 2 ? ['baseline', 'sinth'] : ['sinth', 'baseline'];
    for (const s of order) samples[s].push({ kind: qs[i]!.kind, ...(await timedRun(s, qs[i]!)) });
  }
  const summarise = (xs: (typeof samples)['sinth']) => ({
    ...latency(xs),
    byKind: Object.fromEntries((['question', 'short', 'misspelled'] as const).map((k) => [k, latency(xs.filter((x) => x.kind === k))])) as Record<Query['kind'], Latency>,
  });
  return { queriesRun: i, series: { sinth: summarise(samples.sinth), baseline: summarise(samples.baseline) } };
}

async function retrieval(fx: Fixture, v: Vocabulary, databaseUrl: string): Promise<ScaleResults[]> {
  await fx.handle.pool.query('truncate knowledge_chunks');
  // Retrieval runs on a pool of its own, opened like the server's; its statements stop at the timeout,
  // the scratch database's default from now on (the loader turns it off for its own statements).
  await fx.handle.pool.query(`alter database ${new URL(databaseUrl).pathname.slice(1)} set statement_timeout = ${Math.round(QUERY_TIMEOUT_MS)}`);
  const q = await openDatabase({ databaseUrl, dataDir: os.tmpdir(), poolSize: 2 });
  const qs = queries(rng(99), v, QUERY_COUNT);
  const results: ScaleResults[] = [];
  let have = 0;
  let tableRows = 0;
  try {
    for (const [step, size] of [CHUNKS_SMALL, CHUNKS_LARGE].entries()) {
      const add = size - have;
      const others = Math.round((add * OTHER_SHARE) / OTHER_BOTS);
      log(`retrieval: loading ${add} passages for the bot and ${others * OTHER_BOTS} for ${OTHER_BOTS} other bots`);
      const load = await loadPassages(fx.handle.pool, v, [
        { accountId: fx.accountId, botId: fx.bots.main, chunks: add, seed: 1000 + step },
        ...fx.bots.others.map((botId, j) => ({ accountId: fx.accountId, botId, chunks: others, seed: 2000 + 10 * step + j })),
      ]);
      have = size;
      tableRows += load.rows;
      const { rows } = await fx.handle.pool.query<{ mb: number }>(`select pg_total_relation_size('knowledge_chunks')::float / 1048576 as mb`);
      log(`retrieval at ${size} passages: up to ${qs.length} queries or ${QUERY_SECONDS} s`);
      const measured = await measureQueries(fx, q, qs);
      results.push({
        botChunks: size,
        tableRows,
        tableMb: round(rows[0]!.mb, 0),
        load: { rows: load.rows, bytes: load.bytes, insertMs: round(load.insertMs, 0), indexMs: round(load.indexMs, 0) },
        ...measured,
      });
    }
  } finally {
    await q.close();
  }
  return results;
}

// ------------------------------------------------------------------------------------------------- run

export interface KnowledgeResults {
  at: string;
  code: string;
  machine: string;
  seconds: number;
  /** Wall time of each phase, loading included. */
  phaseSeconds: Record<'ingestion' | 'crawl' | 'retrieval', number>;
  config: Record<string, number>;
  ingestion: IngestResults;
  crawl: CrawlResults;
  retrieval: ScaleResults[];
}

export async function runKnowledgeBench(): Promise<KnowledgeResults> {
  const started = performance.now();
  const scratch = await scratchDatabase(BASE_URL, `sinth_bench_kb_${process.pid}`);
  const { pgVersion, loadBefore } = scratch;
  const dbUrl = new URL(scratch.url);
  let handle: DatabaseHandle | null = null;
  try {
    handle = await openDatabase({ databaseUrl: dbUrl.toString(), dataDir: os.tmpdir(), poolSize: 4 });
    await migrateToLatest(handle.db);
    const fx = await createFixture(handle);
    const v = vocabulary();
    let mark = performance.now();
    const lap = () => {
      const now = performance.now();
      const seconds = round((now - mark) / 1000, 1);
      mark = now;
      return seconds;
    };
    const ingestionResults = await ingestion(fx, v);
    const ingestionSeconds = lap();
    const crawlResults = await crawling(fx);
    const crawlSeconds = lap();
    const retrievalResults = await retrieval(fx, v, dbUrl.toString());
    const retrievalSeconds = lap();
    return {
      at: new Date().toISOString(),
      code: codeVersion(),
      machine: machineDescription(pgVersion, loadBefore),
      seconds: round((performance.now() - started) / 1000, 0),
      phaseSeconds: { ingestion: ingestionSeconds, crawl: crawlSeconds, retrieval: retrievalSeconds },
      config: {
        ingestMb: INGEST_MB,
        rounds: ROUNDS,
        chunksSmall: CHUNKS_SMALL,
        chunksLarge: CHUNKS_LARGE,
        otherShare: OTHER_SHARE,
        otherBots: OTHER_BOTS,
        queries: QUERY_COUNT,
        querySeconds: QUERY_SECONDS,
        queryTimeoutMs: QUERY_TIMEOUT_MS,
        pages: PAGES,
        crawlConcurrency: CRAWL_CONCURRENCY,
        limit: LIMIT,
      },
      ingestion: ingestionResults,
      crawl: crawlResults,
      retrieval: retrievalResults,
    };
  } finally {
    await handle?.close();
    await scratch.drop();
  }
}

// ---------------------------------------------------------------------------------------------- report

const met = (yes: boolean) => (yes ? 'met' : '**not met**');
const msOr = (x: number | null, timeout: number) => (x === null ? `> ${timeout} ms (timed out)` : `${x.toFixed(1)} ms`);

export function formatKnowledge(r: KnowledgeResults): string {
  const i = r.ingestion;
  const c = r.crawl;
  const t = r.config.queryTimeoutMs!;
  const rows: Array<[string, string, string, string]> = [
    [`Ingestion baseline: plain INSERT … jsonb_to_recordset of the cut passages (${i.chunks} rows), ${i.concurrency} files at a time`, `${i.baseline.mbps.toFixed(2)} MB/s`, '', ''],
    [`Ingestion: the ingest job (parse → chunk → store passages and words), ${i.concurrency} files at a time as a worker runs it`, `${i.jobs.mbps.toFixed(2)} MB/s`, `≥ ${GOALS.ingestMBps} MB/s`, met(i.jobs.mbps >= GOALS.ingestMBps)],
    ['Ingestion ÷ baseline', `${i.ratio.toFixed(2)}×`, '', ''],
    [
      'One file at a time: MB/s, and the time split parse / chunk / store',
      `${i.sequential.mbps.toFixed(2)} MB/s: ${i.sequential.parseMs} / ${i.sequential.chunkMs} / ${i.sequential.storeMs} ms (of ${i.sequential.ms} ms)`,
      '',
      '',
    ],
    ['chunkMarkdown alone / the tokenizer counting the same text once', `${i.chunkerMBps.toFixed(2)} / ${i.tokenizeOnceMBps.toFixed(2)} MB/s`, '', ''],
  ];
  for (const s of r.retrieval) {
    const { sinth, baseline } = s.series;
    const size = s.botChunks.toLocaleString('en-US');
    const goal = s.botChunks >= 100_000;
    rows.push(
      [`Retrieval baseline at ${size} passages (raw FTS query, AND-ed words): p50 / p95`, `${msOr(baseline.p50, t)} / ${msOr(baseline.p95, t)}`, '', ''],
      [`retrievePassages at ${size} passages: p50`, msOr(sinth.p50, t), '', ''],
      [`retrievePassages at ${size} passages: p95`, msOr(sinth.p95, t), goal ? `≤ ${GOALS.retrievalP95Ms} ms` : '', goal ? met(sinth.p95 !== null && sinth.p95 <= GOALS.retrievalP95Ms) : ''],
      [
        `retrievePassages at ${size}: p50 / p95 by kind — questions / short / misspelled`,
        `${msOr(sinth.byKind.question.p50, t)} / ${msOr(sinth.byKind.question.p95, t)} · ${msOr(sinth.byKind.short.p50, t)} / ${msOr(sinth.byKind.short.p95, t)} · ${msOr(sinth.byKind.misspelled.p50, t)} / ${msOr(sinth.byKind.misspelled.p95, t)}`,
        '',
        '',
      ],
      [
        `Queries run at ${size} (of ${r.config.queries}); timed out: retrievePassages / baseline`,
        `${s.queriesRun}; ${sinth.timeouts} / ${baseline.timeouts}`,
        '',
        '',
      ],
      [`Passages returned per query (mean): retrievePassages / baseline`, `${sinth.meanHits} / ${baseline.meanHits}`, '', ''],
      [
        `Baseline at ${size}: p50 / p95 by kind — questions / short / misspelled`,
        `${msOr(baseline.byKind.question.p50, t)} / ${msOr(baseline.byKind.question.p95, t)} · ${msOr(baseline.byKind.short.p50, t)} / ${msOr(baseline.byKind.short.p95, t)} · ${msOr(baseline.byKind.misspelled.p50, t)} / ${msOr(baseline.byKind.misspelled.p95, t)}`,
        '',
        '',
      ],
    );
  }
  rows.push(
    [`Crawl baseline: plain fetch of the same ${c.pages} URLs, ${r.config.crawlConcurrency} at a time`, `${c.fetch.pagesPerS.toFixed(1)} pages/s`, '', ''],
    ['crawlSite, delay 0, default concurrency (2)', `${c.crawlSite.pagesPerS.toFixed(1)} pages/s`, `≥ ${GOALS.crawlPagesPerS} pages/s`, met(c.crawlSite.pagesPerS >= GOALS.crawlPagesPerS)],
    ['crawlSite ÷ fetch baseline', `${c.ratio.toFixed(3)}×`, '', ''],
    ['ingestCrawl (the crawl job: crawl, chunk and store each page)', `${c.ingestCrawl.pagesPerS.toFixed(1)} pages/s`, '', ''],
    ['Crawler CPU per page: readPageLinks / htmlToMarkdown', `${c.linksMsPerPage.toFixed(2)} / ${c.extractMsPerPage.toFixed(2)} ms`, '', ''],
  );
  return ['| measure | value | goal | |', '|---|---:|---:|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function header(r: KnowledgeResults): string {
  const i = r.ingestion;
  const c = r.crawl;
  const cfg = r.config;
  const loads = r.retrieval
    .map((s) => `${s.botChunks.toLocaleString('en-US')} (table: ${s.tableRows.toLocaleString('en-US')} rows, ${s.tableMb} MB with indexes and TOAST; this step loaded ${(s.load.bytes / 2 ** 20).toFixed(0)} MB in ${(s.load.insertMs / 1000).toFixed(1)} s)`)
    .join(' and ');
  return (
    `# Knowledge base benchmark\n\n${r.at} · ${r.code} · ${r.machine} · whole run ${r.seconds} s\n\n` +
    `PostgreSQL, scratch database with the migrations applied, everything measured in one run. The text is deterministic pseudo-random ` +
    `English-like prose (a vocabulary of 40,000 words drawn with Zipf frequencies: real words for the common ranks, words made of them ` +
    `for the long tail), so full-text search sees realistic selectivity.\n\n` +
    `- **Ingestion**: ${i.files} files (${i.mb} MB: two Markdown files with headings, lists and paragraphs for each plain-text one, 64 KB to 1 MB), ` +
    `${i.chunks} passages of ${i.meanChunkTokens} tokens on average. sinth: the ingest job (ingestSource, called directly: no HTTP, no queue polling) ` +
    `for each file already uploaded, ${i.concurrency} at a time as one worker process runs them (INGEST_CONCURRENCY): load the bytes, parseFile, ` +
    `chunkMarkdown, a transaction storing the passages, a statement adding their words to the bot's dictionary, and one recording the source's status and event. ` +
    `Baseline: the same passages, cut beforehand, inserted as the same rows by one plain \`insert … select from jsonb_to_recordset\` per file in a ` +
    `transaction, also ${i.concurrency} at a time: PostgreSQL's share (the generated tsvector, the table's indexes, TOAST) without parsing or tokenizing. ` +
    `Also the job's steps for one file at a time, timed step by step. MB/s = file bytes ÷ time; `+
    `median of ${cfg.rounds} alternating rounds, each from an empty passages table and dictionary.\n` +
    `- **Retrieval** at ${loads}: one bot's passages, grouped in documents of 40, plus ${Math.round(cfg.otherShare! * 100)} % as many for ${cfg.otherBots} ` +
    `other bots; indexes kept during the load, then their GIN pending lists merged and ANALYZE run. retrievePassages(db, botId, query, { limit: ${cfg.limit} }) ` +
    `through a pool opened like the server's, next to the raw SQL baseline \`select … where bot_id = $1 and tsv @@ websearch_to_tsquery('english', $2) ` +
    `order by ts_rank_cd(…) desc limit ${cfg.limit}\` alone. Queries: half ` +
    `conversational questions, a third short (1-3 words), a sixth short with a misspelled word, words from every frequency band; each query runs ` +
    `on both, in alternating order, until ${cfg.queries} queries or ${cfg.querySeconds} s per size, with a statement_timeout of ${cfg.queryTimeoutMs} ms ` +
    `(a timed-out query counts as slower than all others).\n` +
    `- **Crawl**: a local node:http site in its own process, ${c.pages} interlinked pages (${c.htmlKb} KB of HTML with navigation, articles, ` +
    `related links, footer), robots.txt with a sitemap and a disallowed path. crawlSite from the home page with delayMs 0 and the default per-host ` +
    `concurrency (${cfg.crawlConcurrency}), pages handed to a no-op; ingestCrawl is the crawl job (a new crawl source each round, so every page is stored); ` +
    `baseline: fetch() of the same ${c.pages} URLs, ${cfg.crawlConcurrency} at a time, reading the bodies only. Median of ${cfg.rounds} alternating rounds.\n\n`
  );
}

export async function main(): Promise<void> {
  const r = await runKnowledgeBench();
  const text = `${header(r)}${formatKnowledge(r)}\n`;
  process.stdout.write(`\n${text}`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'knowledge.md'), text);
  writeFileSync(join(dir, 'knowledge.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
