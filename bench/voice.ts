/**
 * Voice benchmark: the server's time to answer a caller's words (Sinch PIE → SVAML, Twilio Gather →
 * TwiML) on PostgreSQL with a fake model that answers at once, next to a baseline measured in the same
 * run: a bare Fastify route answering the same signed PIE with a fixed SVAML (HTTP and parsing alone).
 * Overhead = turn latency − baseline latency, both seen by the same client. The server's own record of
 * each turn's latency (get_call's latency_ms, from the callback's arrival to the answer) is reported too.
 *
 * Environment: BENCH_DATABASE_URL (an existing database to connect through; a scratch one is created
 * next to it), BENCH_CALLS (calls per provider, 20), BENCH_TURNS (caller turns per call, 10),
 * BENCH_WARMUP_CALLS (3).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { newId } from '../src/core/ids.js';
import { CallSimulator, httpTransport, type Transport } from '../src/features/voice/simulator/call-simulator.js';
import { startFakeModel } from './conversation-fake-model.js';
import { codeVersion, machineDescription, num, round, scratchDatabase } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CALLS = num('BENCH_CALLS', 20);
const TURNS = num('BENCH_TURNS', 10);
const WARMUP_CALLS = num('BENCH_WARMUP_CALLS', 3);
const GOALS = { overheadP99: 20 };
const PUBLIC_URL = 'https://voice-bench.example';
const SINCH = { key: `bench-app-${randomBytes(4).toString('hex')}`, secret: randomBytes(16).toString('base64') };
const TWILIO = { sid: `AC${randomBytes(16).toString('hex')}`, token: randomBytes(16).toString('hex') };

const SAYS = [
  'Hi, I saw your show last night and I really loved the second half.',
  'What are you doing this weekend? Anything fun planned?',
  'I have been thinking about starting to paint again, any tips?',
  'Do you remember what I told you about my trip to Lisbon?',
];

interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? NaN) };
}

async function startChild(kind: 'sinth' | 'baseline', env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(join(import.meta.dirname, 'voice-server.ts'), [kind], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env } });
  const url = await new Promise<string>((res, rej) => {
    child.once('message', (m) => res((m as { url: string }).url));
    child.once('exit', (code) => rej(new Error(`${kind} voice benchmark server exited with ${code}`)));
  });
  return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function api(url: string, path: string, body: unknown, key?: string): Promise<any> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'api-key': key } : {}) }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** One call of TURNS caller turns; the client-side latency of each turn's answer. */
async function oneCall(open: () => CallSimulator): Promise<number[]> {
  const call = open();
  const hello = await call.start();
  if (hello.state !== 'listening' || hello.problems.length) throw new Error(`call did not start: ${hello.state} ${hello.problems.join('; ')}`);
  const ms: number[] = [];
  for (let t = 0; t < TURNS; t++) {
    const step = await call.say(`${SAYS[t % SAYS.length]} (${t})`);
    if (step.state !== 'listening' || step.problems.length || !step.spoken.join(' ').includes('Hello there')) throw new Error(`turn ${t}: ${step.state} ${step.problems.join('; ')} ${step.spoken.join(' ')}`);
    ms.push(step.elapsedMs);
  }
  await call.hangup({ duration: 60 });
  return ms;
}

export async function main(): Promise<void> {
  const db = await scratchDatabase(BASE_URL, 'sinth_bench_voice');
  const model = await startFakeModel();
  const env = { BENCH_DATABASE_URL: db.url, BENCH_LLM_URL: model.url, PUBLIC_URL, SINCH_APPLICATION_KEY: SINCH.key, SINCH_APPLICATION_SECRET: SINCH.secret, TWILIO_ACCOUNT_SID: TWILIO.sid, TWILIO_AUTH_TOKEN: TWILIO.token };
  const sinth = await startChild('sinth', env);
  const baseline = await startChild('baseline', env);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const account = await api(sinth.url, '/create_account', { email: `bench-voice-${Date.now()}@example.com`, password: 'benchmark-password' });
    const bot = await api(sinth.url, '/create_bot', { name: 'Luna', prompt: 'You are Luna, a warm companion who loves late-night talks.', opening_message: 'Hey, it is Luna. How was your day?' }, account.api_key);
    const numbers = { sinch: '+14155550100', twilio: '+14155550101' };
    for (const [provider, phone] of Object.entries(numbers)) {
      await client.query(`insert into phone_numbers (id, account_id, phone_number, provider, source, bot_id, sms, voice) values ($1, $2, $3, $4, $5, $6, true, true)`, [newId('num'), account.account_id, phone, provider, provider === 'sinch' ? 'sinch' : 'purchased', bot.bot_id]);
    }
    const transport: Transport = httpTransport(sinth.url);
    let caller = 0;
    const from = () => `+1415555${String(1000 + (caller++ % 9000)).padStart(4, '0')}`;
    const sinchCall = (t: Transport) => () => CallSimulator.sinch({ transport: t, publicUrl: PUBLIC_URL, appKey: SINCH.key, appSecret: SINCH.secret, from: from(), to: numbers.sinch });
    const twilioCall = () => CallSimulator.twilio({ transport, publicUrl: PUBLIC_URL, accountSid: TWILIO.sid, authToken: TWILIO.token, from: from(), to: numbers.twilio });

    for (let i = 0; i < WARMUP_CALLS; i++) await oneCall(sinchCall(transport));
    const sinchMs: number[] = [];
    const twilioMs: number[] = [];
    const baselineMs: number[] = [];
    // The baseline answers the same signed PIEs; calls of the three kinds interleave so load drifts hit all alike.
    const baseTransport = httpTransport(baseline.url);
    for (let i = 0; i < CALLS; i++) {
      sinchMs.push(...(await oneCall(sinchCall(transport))));
      twilioMs.push(...(await oneCall(twilioCall)));
      const b = sinchCall(baseTransport)();
      await b.start();
      for (let t = 0; t < TURNS; t++) baselineMs.push((await b.say(`${SAYS[t % SAYS.length]} (${t})`)).elapsedMs);
    }
    const { rows } = await client.query<{ provider: string; latency_ms: number; engine_ms: number }>(
      `select c.provider, t.latency_ms, t.engine_ms from call_turns t join calls c on c.id = t.call_id where t.role = 'bot' and t.kind = 'speech' order by t.id offset $1`,
      [WARMUP_CALLS * TURNS],
    );
    const server = (p: string) => dist(rows.filter((r) => r.provider === p).map((r) => r.latency_ms));
    const engine = dist(rows.filter((r) => r.provider === 'sinch').map((r) => r.engine_ms));
    const r = {
      at: new Date().toISOString(),
      code: codeVersion(),
      machine: machineDescription(db.pgVersion, db.loadBefore),
      turns: { calls: CALLS, per_call: TURNS, warmup_calls: WARMUP_CALLS },
      baseline: dist(baselineMs),
      sinch: dist(sinchMs),
      twilio: dist(twilioMs),
      server_recorded: { sinch: server('sinch'), twilio: server('twilio'), engine_sinch: engine },
      overhead: { sinch: { p50: 0, p99: 0 }, twilio: { p50: 0, p99: 0 } },
    };
    for (const p of ['sinch', 'twilio'] as const) r.overhead[p] = { p50: round(r[p].p50 - r.baseline.p50), p99: round(r[p].p99 - r.baseline.p99) };
    report(r);
  } finally {
    await client.end();
    await Promise.all([stopChild(sinth.child), stopChild(baseline.child)]);
    await model.close();
    await db.drop();
  }
}

function report(r: any): void {
  const met = (v: number, goal: number) => (v <= goal ? 'met' : '**not met**');
  const d = (x: Dist) => `${x.p50} ms / ${x.p99} ms`;
  const text = `# Voice benchmark

${r.at} · ${r.code} · ${r.machine}

The caller's words answered on PostgreSQL: sinth (role all) in a child process, its model a fake OpenAI-compatible server in the benchmark process that answers at once, the calls driven by the call simulator (the driver of \`sinth call-sim\` and the tests) sending signed callbacks over HTTP. ${r.turns.calls} calls per provider of ${r.turns.per_call} caller turns each, after ${r.turns.warmup_calls} warm-up calls; calls of each kind interleave. Each turn runs the whole conversation engine (end user, history, curated answers, the model, safety checks, the reply stored) and the call's records (transcript turns, the callback's answer kept for retries). **Baseline**: a bare Fastify route in its own process answering the same signed Sinch PIEs with a fixed SVAML (HTTP, body read, answer), measured in the same run by the same client. **Overhead** = turn latency − baseline latency at the same percentile. **Server-recorded**: get_call's latency_ms per bot turn (from the callback reaching the handler to the answer being ready), of which the engine's share.

| measure | value | goal | |
|---|---:|---:|---|
| Baseline, fixed SVAML: p50 / p99 | ${d(r.baseline)} |  |  |
| Sinch PIE → SVAML: p50 / p99 | ${d(r.sinch)} |  |  |
| Twilio Gather → TwiML: p50 / p99 | ${d(r.twilio)} |  |  |
| Sinch overhead: p50 | ${r.overhead.sinch.p50} ms |  |  |
| Sinch overhead: p99 | ${r.overhead.sinch.p99} ms | ≤ ${GOALS.overheadP99} ms | ${met(r.overhead.sinch.p99, GOALS.overheadP99)} |
| Twilio overhead: p50 / p99 | ${r.overhead.twilio.p50} ms / ${r.overhead.twilio.p99} ms |  |  |
| Server-recorded latency, Sinch: p50 / p99 | ${d(r.server_recorded.sinch)} |  |  |
| Server-recorded latency, Twilio: p50 / p99 | ${d(r.server_recorded.twilio)} |  |  |
| of which the conversation engine (Sinch): p50 / p99 | ${d(r.server_recorded.engine_sinch)} |  |  |
`;
  process.stdout.write(`\n${text}\n`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'voice.md'), text);
  writeFileSync(join(dir, 'voice.json'), JSON.stringify({ ...r, goals: GOALS }, null, 2) + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
