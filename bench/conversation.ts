/**
 * Conversation-engine benchmark: POST /conversation_api on PostgreSQL against a fake model that answers
 * at once, next to baselines measured in the same run:
 *  (a) the fake model called directly (same payload the engine sent), for the server's overhead per turn;
 *  (b) a bare Fastify route doing one ~200-byte INSERT through a pool of the same size, for throughput.
 * The servers run in child processes; the fake model, the clients and autocannon run in this one.
 *
 * Environment: BENCH_DATABASE_URL (an existing database to connect through; a scratch one is created
 * next to it), BENCH_SECONDS (throughput duration, 20), BENCH_WARMUP_SECONDS (2), BENCH_TURNS (measured
 * sequential turns per conversation kind, 200), BENCH_PRIOR_TURNS (300), BENCH_STREAM_TURNS (100),
 * BENCH_CONNECTIONS (20), BENCH_USERS (50).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { newId } from '../src/core/ids.js';
import { DEFAULT_SHAPE, REPLY, startFakeModel, type FakeModel } from './conversation-fake-model.js';
import { codeVersion, machineDescription, num, round, scratchDatabase, stopChild } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = num('BENCH_SECONDS', 20);
const WARMUP_SECONDS = num('BENCH_WARMUP_SECONDS', 2);
const TURNS = num('BENCH_TURNS', 200);
const PRIOR_TURNS = num('BENCH_PRIOR_TURNS', 300);
const STREAM_TURNS = num('BENCH_STREAM_TURNS', 100);
const CONNECTIONS = num('BENCH_CONNECTIONS', 20);
const USERS = num('BENCH_USERS', 50);
/** A "fresh" conversation: a new end user every this many turns, so history stays short and first contact is included. */
const FRESH_TURNS_PER_USER = 10;
const WORD_STREAM_TURNS = 20;

const GOALS = { overheadP50: 10, overheadP99: 40, longRatio: 1.2, throughputRatio: 0.1, rssMb: 300, firstDeltaMs: 5 };

/** What fans write: ordinary messages of about 100-130 characters, none matching a curated answer. */
const MESSAGES = [
  'Long day at work today, my manager moved the deadline up again and I barely had time for lunch. How was yours?',
  'I finally tried that ramen place down the street. The broth was incredible but the line was way too long honestly.',
  'Do you ever just sit by the window and watch the rain? That is all I want to do this evening, nothing else.',
  'My sister called and we talked for two hours about nothing at all. It was the best part of my week so far.',
  'Thinking about picking up the guitar again. I stopped years ago but my fingers still remember a few chords.',
  'Tell me something that made you smile recently, I could use a little good news before I try to fall asleep.',
];
const message = (i: number) => `${MESSAGES[i % MESSAGES.length]} (${i})`;

// ---------------------------------------------------------------------------------------------- clients

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** One POST on a kept-alive connection, timed from the call to the last byte of the answer. */
function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolvePost, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolvePost({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A streamed turn: when the first `delta` event arrived (performance.now()), and everything received. */
function postStream(url: string, body: unknown): Promise<{ status: number; firstDeltaAt: number | null; text: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolvePost, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      let firstDeltaAt: number | null = null;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (firstDeltaAt === null && text.includes('event: delta')) firstDeltaAt = performance.now();
      });
      res.on('end', () => resolvePost({ status: res.statusCode ?? 0, firstDeltaAt, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok(url: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const r = await post(url, body, headers);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text);
}

// ------------------------------------------------------------------------------------------------ stats

export interface Dist {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1), max: s[s.length - 1] ?? NaN };
}

const roundDist = (d: Dist): Dist => ({ n: d.n, p50: round(d.p50), p99: round(d.p99), mean: round(d.mean), max: round(d.max) });

// -------------------------------------------------------------------------------------------- processes

async function startChild(kind: 'sinth' | 'baseline', env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(join(import.meta.dirname, 'conversation-server.ts'), [kind], {
    // --expose-gc lets the benchmark ask, after the load, how much of the heap was garbage (nothing calls gc before).
    execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((res, rej) => {
    child.once('message', (m) => res((m as { url: string }).url));
    child.once('exit', (code) => rej(new Error(`${kind} benchmark server exited with ${code}`)));
  });
  return { child, url };
}

interface DbStats {
  queries: number;
  ms: number;
}

/** The sinth server's running count of statements and their time (see conversation-server.ts). */
function dbStats(child: ChildProcess): Promise<DbStats> {
  return new Promise((res) => {
    const on = (m: unknown) => {
      const stats = (m as { dbStats?: DbStats }).dbStats;
      if (!stats) return;
      child.off('message', on);
      res({ ...stats });
    };
    child.on('message', on);
    child.send('db-stats');
  });
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat counts 1/100 s ticks). */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Waits until the server has finished what a load left running: no model call open, no busy connection. */
async function drain(fake: FakeModel, admin: pg.Client, dbName: string): Promise<void> {
  const until = Date.now() + 15_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and state <> 'idle'`, [dbName]);
    quiet = fake.inflight === 0 && rows[0]!.n === 0 ? quiet + 1 : 0;
  }
}

/** A field of /proc/<pid>/status in MB (VmRSS: now; VmHWM: the peak so far). */
function procMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------- phases

interface Fixture {
  sinthUrl: string;
  server: ChildProcess;
  databaseUrl: string;
  botId: string;
  conversationKey: string;
}

async function createFixture(sinthUrl: string, server: ChildProcess, databaseUrl: string): Promise<Fixture> {
  const account = await ok(`${sinthUrl}/create_account`, { email: `bench-conv-${process.pid}-${Date.now()}@example.com`, password: 'benchmark-password' });
  const admin = { 'api-key': account.api_key as string };
  // A typical persona: a prompt of about 1,500 characters, an opening message and a few curated answers.
  const prompt =
    'You are Luna, a warm and playful companion who loves late-night talks, old movies and bad puns. ' +
    'You remember what people tell you and ask about it later. You speak casually, in short messages, and you never lecture. '.repeat(11);
  const bot = await ok(`${sinthUrl}/create_bot`, { name: 'Luna', prompt, opening_message: 'Hey you, I was hoping you would write.' }, admin);
  const curated = [
    ['what is your favourite movie', 'Casablanca, every single time.'],
    ['where are you from', 'A small town by the sea, the kind with one bakery.'],
    ['do you have any pets', 'A grumpy old cat named Biscuit.'],
    ['what music do you like', 'Jazz when it rains, synth-pop when it does not.'],
    ['are you a real person', "I'm Luna, a companion made by my creator. Still happy to chat!"],
  ];
  for (const [question, response] of curated) await ok(`${sinthUrl}/retrain_response`, { bot_id: bot.bot_id, question, response }, admin);
  const key = await ok(`${sinthUrl}/create_api_key`, { name: 'bench conversation key', scope: 'conversation', bot_ids: [bot.bot_id] }, admin);
  return { sinthUrl, server, databaseUrl, botId: bot.bot_id, conversationKey: key.key };
}

function turnBody(fx: Fixture, userId: string, i: number, stream = false) {
  return { api_key: fx.conversationKey, creator: fx.botId, user_id: userId, message: message(i), ...(stream ? { stream: true } : {}) };
}

/** One non-streamed turn; fails loudly unless the model answered it. */
async function turn(fx: Fixture, userId: string, i: number): Promise<Answer> {
  const r = await post(`${fx.sinthUrl}/conversation_api`, turnBody(fx, userId, i));
  if (r.status !== 200 || !r.text.includes('"source":"model"')) throw new Error(`turn for ${userId}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

/** The model called directly with the request the engine just sent it, as JSON (and, for context, streamed). */
async function direct(fake: FakeModel): Promise<{ json: number; sse: number; bytes: number }> {
  const { stream: _stream, stream_options: _options, ...body } = fake.lastBody!;
  const headers = { authorization: 'Bearer bench-llm-key' };
  const json = await post(`${fake.url}/chat/completions`, { ...body, stream: false }, headers);
  const sse = await post(`${fake.url}/chat/completions`, { ...body, stream: true, stream_options: { include_usage: true } }, headers);
  if (json.status !== 200 || sse.status !== 200) throw new Error(`direct model call: ${json.status}/${sse.status}`);
  return { json: json.ms, sse: sse.ms, bytes: Buffer.byteLength(JSON.stringify(body)) };
}

/**
 * The long conversation: its first turn through the API (end user, conversation, greeting), then
 * PRIOR_TURNS - 1 more turns (a user message and a model reply each) inserted directly, as the engine
 * stores them, with ids made by the server's own id function so they sort before every later turn.
 */
async function prefill(fx: Fixture): Promise<void> {
  const first = JSON.parse((await turn(fx, 'long-user', 0)).text) as { conversation_id: string };
  const db = new pg.Client({ connectionString: fx.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ account_id: string }>('select account_id from conversations where id = $1', [first.conversation_id]);
    const cols: Record<'id' | 'role' | 'content' | 'source' | 'model', Array<string | null>> = { id: [], role: [], content: [], source: [], model: [] };
    for (let i = 1; i < PRIOR_TURNS; i++) {
      for (const [role, content] of [['user', message(i)], ['assistant', REPLY]] as const) {
        cols.id.push(newId('msg'));
        cols.role.push(role);
        cols.content.push(content);
        cols.source.push(role === 'assistant' ? 'model' : null);
        cols.model.push(role === 'assistant' ? 'bench-model' : null);
      }
    }
    await db.query(
      `insert into messages (id, account_id, conversation_id, role, content, status, source, model)
       select id, $1, $2, role, content, 'ok', source, model from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) as m(id, role, content, source, model)`,
      [rows[0]!.account_id, first.conversation_id, cols.id, cols.role, cols.content, cols.source, cols.model],
    );
    await db.query('update conversations set last_message_at = now(), updated_at = now() where id = $1', [first.conversation_id]);
  } finally {
    await db.end();
  }
}

interface SequentialSide {
  turn: Dist;
  direct: Dist;
  directSse: Dist;
  overhead: Dist;
  payloadBytes: number;
  /** Statements the server sent to PostgreSQL per turn, and the time until their answers were handled. */
  dbQueriesPerTurn: number;
  dbMsPerTurn: number;
}

/** Turns on fresh and on 300-turn conversations, interleaved, each followed by its direct model call. */
async function sequential(fx: Fixture, fake: FakeModel, serverPid: number): Promise<{ fresh: SequentialSide; long: SequentialSide; serverCpuMsPerTurn: number }> {
  // Warm-up: JIT, pool connections, plan caches, the tokenizer's tables.
  for (let i = 0; i < 30; i++) {
    await turn(fx, `warm-${Math.floor(i / 5)}`, i);
    await direct(fake);
  }
  await prefill(fx);

  const cpuBefore = procCpuMs(serverPid);
  const side = () => ({ turn: [] as number[], direct: [] as number[], sse: [] as number[], overhead: [] as number[], bytes: 0, queries: 0, dbMs: 0 });
  const sides = { fresh: side(), long: side() };
  for (let i = 0; i < TURNS; i++) {
    // Alternate which kind goes first, so neither always follows the other.
    const order = i % 2 ? (['fresh', 'long'] as const) : (['long', 'fresh'] as const);
    for (const side of order) {
      const before = await dbStats(fx.server);
      const t = await turn(fx, side === 'fresh' ? `fresh-${Math.floor(i / FRESH_TURNS_PER_USER)}` : 'long-user', PRIOR_TURNS + i);
      const after = await dbStats(fx.server);
      const d = await direct(fake);
      const s = sides[side];
      s.queries += after.queries - before.queries;
      s.dbMs += after.ms - before.ms;
      s.turn.push(t.ms);
      s.direct.push(d.json);
      s.sse.push(d.sse);
      s.overhead.push(t.ms - d.json);
      s.bytes = Math.max(s.bytes, d.bytes);
    }
  }
  const serverCpuMsPerTurn = round((procCpuMs(serverPid) - cpuBefore) / (2 * TURNS));
  const summarise = (s: typeof sides.fresh): SequentialSide => ({
    turn: roundDist(dist(s.turn)),
    direct: roundDist(dist(s.direct)),
    directSse: roundDist(dist(s.sse)),
    overhead: roundDist(dist(s.overhead)),
    payloadBytes: s.bytes,
    dbQueriesPerTurn: round(s.queries / TURNS, 1),
    dbMsPerTurn: round(s.dbMs / TURNS),
  });
  return { fresh: summarise(sides.fresh), long: summarise(sides.long), serverCpuMsPerTurn };
}

/** Time from the model writing its first chunk to the client reading the first delta event. */
async function streaming(fx: Fixture, fake: FakeModel, shape: FakeModel['shape'], turns: number, tag: string): Promise<Dist> {
  fake.shape = shape;
  const lags: number[] = [];
  try {
    for (let i = -5; i < turns; i++) {
      const r = await postStream(`${fx.sinthUrl}/conversation_api`, turnBody(fx, `${tag}-${Math.abs(i) % 10}`, i + 1000, true));
      if (r.status !== 200 || r.firstDeltaAt === null || !r.text.includes('event: done') || !r.text.includes('"source":"model"')) {
        throw new Error(`streamed turn: ${r.status} ${r.text.slice(0, 300)}`);
      }
      if (i >= 0) lags.push(r.firstDeltaAt - fake.lastFirstChunkAt);
    }
  } finally {
    fake.shape = DEFAULT_SHAPE;
  }
  return roundDist(dist(lags));
}

interface LoadResult {
  rps: number;
  /** CPU the server process used per completed request (user + system). */
  serverCpuMsPerRequest: number;
  /** Statements per completed request (sinth only). */
  dbQueriesPerRequest?: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  firstFailure: string | null;
}

async function load(url: string, body: (i: number) => string, duration: number, serverPid: number): Promise<LoadResult> {
  let i = 0;
  const cpuBefore = procCpuMs(serverPid);
  let firstFailure: string | null = null;
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: any) => ({ ...req, body: body(i++) }),
        onResponse: (status: number, text: string) => {
          if ((status >= 300 || (url.endsWith('/conversation_api') && !text.includes('"source":"model"'))) && !firstFailure) firstFailure = `${status} ${text.slice(0, 300)}`;
        },
      },
    ],
  });
  const serverCpuMsPerRequest = round((procCpuMs(serverPid) - cpuBefore) / Math.max(1, r.requests.total));
  return { rps: r.requests.average, serverCpuMsPerRequest, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors, non2xx: r.non2xx, firstFailure };
}

// ------------------------------------------------------------------------------------------------- run

export interface ConversationResults {
  at: string;
  code: string;
  machine: string;
  config: Record<string, number>;
  sequential: { fresh: SequentialSide; long: SequentialSide; serverCpuMsPerTurn: number; longOverheadRatioP50: number; longOverheadRatioP99: number };
  streaming: { firstDelta: Dist; wordByWordFirstDelta: Dist };
  throughput: { baseline: LoadResult; sinth: LoadResult; ratio: number };
  memory: {
    idleRssMb: number;
    peakRssMbDuringLoad: number;
    vmHwmMb: number;
    /** The server's own view right after the load, and its live heap after a forced GC. */
    afterLoad: { rssMb: number; heapTotalMb: number; heapUsedMb: number; heapUsedAfterGcMb: number; externalMb: number };
  };
}

export async function runConversationBench(): Promise<ConversationResults> {
  const scratch = await scratchDatabase(BASE_URL, `sinth_bench_conv_${process.pid}`);
  const { pgVersion, loadBefore, admin } = scratch;
  const dbName = scratch.name;
  const dbUrl = new URL(scratch.url);

  const fake = await startFakeModel();
  const children: ChildProcess[] = [];
  try {
    const sinth = await startChild('sinth', { BENCH_DATABASE_URL: dbUrl.toString(), BENCH_LLM_URL: fake.url });
    children.push(sinth.child);
    const fx = await createFixture(sinth.url, sinth.child, dbUrl.toString());

    process.stderr.write(`conversation bench: sequential turns (${TURNS} fresh + ${TURNS} on ${PRIOR_TURNS} prior turns)\n`);
    const seq = await sequential(fx, fake, sinth.child.pid!);

    process.stderr.write(`conversation bench: streamed turns (${STREAM_TURNS})\n`);
    const firstDelta = await streaming(fx, fake, { chunks: 'sentence', gapMs: 25 }, STREAM_TURNS, 'stream');
    const wordByWordFirstDelta = await streaming(fx, fake, { chunks: 'words', gapMs: 10 }, WORD_STREAM_TURNS, 'words');

    process.stderr.write(`conversation bench: INSERT baseline, ${CONNECTIONS} connections, ${SECONDS} s\n`);
    const base = await startChild('baseline', { BENCH_DATABASE_URL: dbUrl.toString() });
    children.push(base.child);
    const insertBody = (i: number) => JSON.stringify({ user_id: `load-${i % USERS}`, message: message(i) });
    await load(`${base.url}/insert`, insertBody, WARMUP_SECONDS, base.child.pid!);
    const baseline = await load(`${base.url}/insert`, insertBody, SECONDS, base.child.pid!);
    await stopChild(base.child);
    await drain(fake, admin, dbName);

    process.stderr.write(`conversation bench: conversation_api, ${CONNECTIONS} connections over ${USERS} users, ${SECONDS} s\n`);
    const pid = sinth.child.pid!;
    const idleRssMb = procMb(pid, 'VmRSS');
    let peak = idleRssMb;
    const sampler = setInterval(() => (peak = Math.max(peak, procMb(pid, 'VmRSS'))), 100);
    const turnLoadBody = (i: number) => JSON.stringify(turnBody(fx, `load-${i % USERS}`, i));
    let sinthLoad: LoadResult;
    try {
      await load(`${fx.sinthUrl}/conversation_api`, turnLoadBody, WARMUP_SECONDS, pid);
      await drain(fake, admin, dbName);
      const statsBefore = await dbStats(sinth.child);
      sinthLoad = await load(`${fx.sinthUrl}/conversation_api`, turnLoadBody, SECONDS, pid);
      sinthLoad.dbQueriesPerRequest = round(((await dbStats(sinth.child)).queries - statsBefore.queries) / Math.max(1, sinthLoad.requests), 1);
      // autocannon stops without waiting for answers still on their way; the server finishes those turns.
      await drain(fake, admin, dbName);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, procMb(pid, 'VmRSS'));
    const vmHwmMb = procMb(pid, 'VmHWM');
    const heap = await new Promise<{ before: NodeJS.MemoryUsage; afterGc: NodeJS.MemoryUsage }>((res) => {
      sinth.child.once('message', (m) => res((m as { memory: { before: NodeJS.MemoryUsage; afterGc: NodeJS.MemoryUsage } }).memory));
      sinth.child.send('memory');
    });
    const toMb = (x: number) => round(x / 2 ** 20, 1);
    for (const [name, r] of [['baseline', baseline], ['sinth', sinthLoad]] as const) {
      if (r.firstFailure) process.stderr.write(`${name}: first failure: ${r.firstFailure}\n`);
    }

    return {
      at: new Date().toISOString(),
      code: codeVersion(),
      machine: machineDescription(pgVersion, loadBefore),
      config: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, turns: TURNS, priorTurns: PRIOR_TURNS, streamTurns: STREAM_TURNS, connections: CONNECTIONS, users: USERS, poolSize: 10 },
      sequential: {
        ...seq,
        longOverheadRatioP50: round(seq.long.overhead.p50 / seq.fresh.overhead.p50),
        longOverheadRatioP99: round(seq.long.overhead.p99 / seq.fresh.overhead.p99),
      },
      streaming: { firstDelta, wordByWordFirstDelta },
      throughput: { baseline, sinth: sinthLoad, ratio: round(sinthLoad.rps / baseline.rps, 3) },
      memory: {
        idleRssMb: round(idleRssMb, 1),
        peakRssMbDuringLoad: round(peak, 1),
        vmHwmMb: round(vmHwmMb, 1),
        afterLoad: { rssMb: toMb(heap.before.rss), heapTotalMb: toMb(heap.before.heapTotal), heapUsedMb: toMb(heap.before.heapUsed), heapUsedAfterGcMb: toMb(heap.afterGc.heapUsed), externalMb: toMb(heap.before.external) },
      },
    };
  } finally {
    for (const child of children) await stopChild(child).catch(() => undefined);
    await fake.close();
    agent.destroy();
    await scratch.drop();
  }
}

// ---------------------------------------------------------------------------------------------- report

const met = (yes: boolean) => (yes ? 'met' : '**not met**');
const ms = (x: number) => `${x.toFixed(2)} ms`;

export function formatConversation(r: ConversationResults): string {
  const { fresh, long } = r.sequential;
  const t = r.throughput;
  const rows: Array<[string, string, string, string]> = [
    ['Direct model call, JSON (baseline a), fresh payload: p50 / p99', `${ms(fresh.direct.p50)} / ${ms(fresh.direct.p99)}`, '', ''],
    [`Direct model call, JSON, 300-turn payload (${(long.payloadBytes / 1024).toFixed(1)} KB): p50 / p99`, `${ms(long.direct.p50)} / ${ms(long.direct.p99)}`, '', ''],
    ['Turn latency, fresh conversation: p50 / p99', `${ms(fresh.turn.p50)} / ${ms(fresh.turn.p99)}`, '', ''],
    ['Turn latency, 300 prior turns: p50 / p99', `${ms(long.turn.p50)} / ${ms(long.turn.p99)}`, '', ''],
    ['Server overhead, fresh: p50', ms(fresh.overhead.p50), `≤ ${GOALS.overheadP50} ms`, met(fresh.overhead.p50 <= GOALS.overheadP50)],
    ['Server overhead, fresh: p99', ms(fresh.overhead.p99), `≤ ${GOALS.overheadP99} ms`, met(fresh.overhead.p99 <= GOALS.overheadP99)],
    ['Server overhead, 300 prior turns: p50', ms(long.overhead.p50), `≤ ${GOALS.overheadP50} ms`, met(long.overhead.p50 <= GOALS.overheadP50)],
    ['Server overhead, 300 prior turns: p99', ms(long.overhead.p99), `≤ ${GOALS.overheadP99} ms`, met(long.overhead.p99 <= GOALS.overheadP99)],
    ['300-turn overhead / fresh overhead (p50)', `${r.sequential.longOverheadRatioP50.toFixed(2)}×`, `≤ ${GOALS.longRatio}×`, met(r.sequential.longOverheadRatioP50 <= GOALS.longRatio)],
    ['300-turn overhead / fresh overhead (p99, for context)', `${r.sequential.longOverheadRatioP99.toFixed(2)}×`, '', ''],
    ['Server CPU per sequential turn (user + system, both kinds)', ms(r.sequential.serverCpuMsPerTurn), '', ''],
    [
      'PostgreSQL statements per turn, and time until their answers were handled: fresh / 300 prior turns',
      `${fresh.dbQueriesPerTurn} (${ms(fresh.dbMsPerTurn)}) / ${long.dbQueriesPerTurn} (${ms(long.dbMsPerTurn)})`,
      '',
      '',
    ],
    [`INSERT baseline (b), ${r.config.connections} connections: req/s (p50 / p99)`, `${t.baseline.rps.toFixed(0)} (${t.baseline.p50} / ${t.baseline.p99} ms)`, '', ''],
    [`Turns/s, ${r.config.connections} connections over ${r.config.users} users (p50 / p99)`, `${t.sinth.rps.toFixed(0)} (${t.sinth.p50} / ${t.sinth.p99} ms)`, '', ''],
    ['Turns/s ÷ INSERT baseline req/s', `${t.ratio.toFixed(3)}×`, `≥ ${GOALS.throughputRatio}×`, met(t.ratio >= GOALS.throughputRatio)],
    ['Server CPU per request under load: turn / baseline INSERT', `${ms(t.sinth.serverCpuMsPerRequest)} / ${ms(t.baseline.serverCpuMsPerRequest)}`, '', ''],
    ['Server peak RSS during the load (VmRSS sampled every 100 ms)', `${r.memory.peakRssMbDuringLoad.toFixed(0)} MB`, `≤ ${GOALS.rssMb} MB`, met(r.memory.peakRssMbDuringLoad <= GOALS.rssMb)],
    ['Server RSS idle before the load / lifetime peak (VmHWM)', `${r.memory.idleRssMb.toFixed(0)} MB / ${r.memory.vmHwmMb.toFixed(0)} MB`, '', ''],
    [
      'Server JS heap right after the load: total / used / used after a forced GC',
      `${r.memory.afterLoad.heapTotalMb.toFixed(0)} / ${r.memory.afterLoad.heapUsedMb.toFixed(0)} / ${r.memory.afterLoad.heapUsedAfterGcMb.toFixed(0)} MB`,
      '',
      '',
    ],
    ['Streaming: model first chunk → client first delta, p50', ms(r.streaming.firstDelta.p50), `≤ ${GOALS.firstDeltaMs} ms`, met(r.streaming.firstDelta.p50 <= GOALS.firstDeltaMs)],
    ['Streaming: model first chunk → client first delta, p99', ms(r.streaming.firstDelta.p99), `≤ ${GOALS.firstDeltaMs} ms`, met(r.streaming.firstDelta.p99 <= GOALS.firstDeltaMs)],
    ['Streaming, word-per-chunk model at 10 ms/chunk: first chunk → first delta p50 / p99 (context)', `${ms(r.streaming.wordByWordFirstDelta.p50)} / ${ms(r.streaming.wordByWordFirstDelta.p99)}`, '', ''],
  ];
  const errors = [t.baseline, t.sinth].reduce((n, x) => n + x.errors + x.non2xx, 0);
  return [
    '| measure | value | goal | |',
    '|---|---:|---:|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Load errors / non-2xx: baseline ${t.baseline.errors} / ${t.baseline.non2xx}, sinth ${t.sinth.errors} / ${t.sinth.non2xx} (${t.baseline.requests} and ${t.sinth.requests} requests)${errors ? ' — **the throughput numbers are not trustworthy**' : ''}.`,
  ].join('\n');
}

export async function main(): Promise<void> {
  const r = await runConversationBench();
  const c = r.config;
  const header =
    `# Conversation engine benchmark\n\n${r.at} · ${r.code} · ${r.machine}\n\n` +
    `POST /conversation_api on PostgreSQL (pool ${c.poolSize}), sinth (role api) in a child process, its model a fake OpenAI-compatible server ` +
    `in the benchmark process that answers at once (real HTTP; the engine always asks it for SSE). Everything below was measured in one run.\n\n` +
    `- **Overhead** = turn latency − the direct JSON call to the fake model with the request body the engine sent for that same turn, ` +
    `measured back to back per turn; ${c.turns} turns per kind, fresh and 300-turn turns interleaved after a warm-up of 30. ` +
    `"Fresh": a new end user every ${FRESH_TURNS_PER_USER} turns (so 1 in ${FRESH_TURNS_PER_USER} includes first contact: end user, conversation, opening message). ` +
    `"300 prior turns": one conversation given ${c.priorTurns} turns first (the first through the API, the rest inserted into \`messages\` as the engine stores them); ` +
    `the engine reads its newest 200 messages and sends what fits a 3,000-token budget. The server runs role api, so the summary job it queues for that ` +
    `conversation is not run here: the history is never shortened by a summary, the worst case.\n` +
    `- **Throughput**: autocannon, ${c.connections} connections, ${c.seconds} s after ${c.warmupSeconds} s of warm-up, user ids round-robin over ${c.users} users; ` +
    `the baseline is a bare Fastify route (own child process, pool of ${c.poolSize}) inserting one ~200-byte row per request with the same bodies and load. ` +
    `The fake model shares the benchmark process with autocannon.\n` +
    `- **The fake model** streams its ${REPLY.length}-character reply a word per chunk (as models stream, about a token each), with no pause, ` +
    `except in the streaming measure below.\n` +
    `- **Streaming**: the fake model's first chunk is a whole sentence ("Hello there. ") and the rest follows 25 ms later; ` +
    `the lag is the client's first \`event: delta\` minus the moment the fake wrote that chunk (one process, one clock); ${c.streamTurns} turns. ` +
    `The engine releases text a sentence at a time, so with a model that streams word by word the first delta waits for the first sentence to end: ` +
    `the context row shows that lag with a chunk a word every 10 ms (about one chunk, as "Hello " is followed by "there. ").\n` +
    `- Latencies move with the machine's load (the load average above; other work may share it). The server's CPU per request and its ` +
    `statements per turn, read from /proc and counted in the server, are the figures that move least.\n\n`;
  const table = formatConversation(r);
  process.stdout.write(`\n${header}${table}\n`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'conversation.md'), `${header}${table}\n`);
  writeFileSync(join(dir, 'conversation.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
