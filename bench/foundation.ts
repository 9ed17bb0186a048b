/**
 * Foundation benchmark: GET /get_bots and POST /edit_prompt on PostgreSQL, each next to a baseline
 * measured in the same run (a bare Fastify route running the endpoint's main SQL statement through
 * the same pool). The servers run in a child process; autocannon drives them from this one.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Fixture {
  sinthUrl: string;
  baselineUrl: string;
  key: string;
  botIds: string[];
}

export interface Row {
  endpoint: string;
  target: 'sinth' | 'baseline';
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** The first non-2xx answer of the run, shown so a broken benchmark is not mistaken for a slow one. */
let firstFailure: string | null = null;

async function load(url: string, opts: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: () => string; duration: number }) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: opts.duration,
    requests: [
      {
        method: opts.method,
        headers: { 'content-type': 'application/json', ...opts.headers },
        // A new prompt on every request, so no edit is a no-op.
        ...(opts.body ? { setupRequest: (req: any) => ({ ...req, body: opts.body!() }) } : {}),
        onResponse: (status: number, body: string) => {
          if (status >= 300 && !firstFailure) firstFailure = `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  return result;
}

async function measure(endpoint: string, target: Row['target'], url: string, opts: Parameters<typeof load>[1]): Promise<Row> {
  await load(url, { ...opts, duration: 2 }); // warm-up: JIT, pool, plan caches
  const r = await load(url, opts);
  if (firstFailure) process.stderr.write(`${endpoint} (${target}): first failure: ${firstFailure}\n`);
  firstFailure = null;
  return { endpoint, target, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export async function runFoundationBench(): Promise<{ rows: Row[]; ratios: Record<string, number> }> {
  const dbName = `sinth_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(BASE_URL);
  url.pathname = `/${dbName}`;

  const child = fork(join(import.meta.dirname, 'foundation-server.ts'), [], {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, BENCH_DATABASE_URL: url.toString() },
  });
  try {
    const fx = await new Promise<Fixture>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Fixture));
      child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
    });
    const auth = { 'api-key': fx.key };
    let i = 0;
    // Edits go round-robin over the account's 20 bots, as a creator's team would spread them.
    const editBody = () => JSON.stringify({ bot_id: fx.botIds[i % fx.botIds.length], prompt: `You are persona number ${i++}. Be kind.` });
    // Baseline and sinth alternate over several rounds and each keeps its median round, so a noisy
    // moment on this shared machine does not land on one side only.
    const plans: Array<[string, Row['target'], string, Parameters<typeof load>[1]]> = [
      ['GET /get_bots', 'baseline', `${fx.baselineUrl}/get_bots`, { method: 'GET', duration: DURATION }],
      ['GET /get_bots', 'sinth', `${fx.sinthUrl}/get_bots`, { method: 'GET', headers: auth, duration: DURATION }],
      ['POST /edit_prompt', 'baseline', `${fx.baselineUrl}/edit_prompt`, { method: 'POST', body: editBody, duration: DURATION }],
      ['POST /edit_prompt', 'sinth', `${fx.sinthUrl}/edit_prompt`, { method: 'POST', headers: auth, body: editBody, duration: DURATION }],
    ];
    const runs = new Map<string, Row[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [endpoint, target, url, opts] of plans) {
        const row = await measure(endpoint, target, url, opts);
        runs.set(`${endpoint}|${target}`, [...(runs.get(`${endpoint}|${target}`) ?? []), row]);
      }
    }
    const rows = [...runs.values()].map((rs) => rs.sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)]!);
    const ratios: Record<string, number> = {};
    for (const endpoint of ['GET /get_bots', 'POST /edit_prompt']) {
      const s = rows.find((r) => r.endpoint === endpoint && r.target === 'sinth')!;
      const b = rows.find((r) => r.endpoint === endpoint && r.target === 'baseline')!;
      ratios[endpoint] = s.rps / b.rps;
    }
    return { rows, ratios };
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

export function formatFoundation(rows: Row[], ratios: Record<string, number>): string {
  const lines = [
    `| endpoint | target | req/s | p50 ms | p99 ms | errors | non-2xx | ratio (sinth/baseline req/s) |`,
    `|---|---|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    const ratio = r.target === 'sinth' ? ratios[r.endpoint]!.toFixed(2) : '';
    lines.push(`| ${r.endpoint} | ${r.target} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${ratio} |`);
  }
  return lines.join('\n');
}

export async function main(): Promise<void> {
  const { rows, ratios } = await runFoundationBench();
  const table = formatFoundation(rows, ratios);
  const header =
    `# Foundation benchmark\n\n${new Date().toISOString()} · PostgreSQL · ${CONNECTIONS} connections · median of ${ROUNDS} alternating rounds of ${DURATION} s · goal: ratio >= 0.5\n\n` +
    'Baselines: a bare Fastify route on the same pool running the endpoint\'s main statement only (get_bots: the page query; ' +
    'edit_prompt: the one update+version+audit statement). The gap is sinth\'s own cost: key lookup, validation, hooks, serialization.\n\n';
  process.stdout.write(`\n${header}${table}\n`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'foundation.md'), `${header}${table}\n`);
  writeFileSync(join(dir, 'foundation.json'), JSON.stringify({ at: new Date().toISOString(), connections: CONNECTIONS, duration: DURATION, rounds: ROUNDS, rows, ratios }, null, 2));
}
