/**
 * Scale-out benchmark: throughput of POST /conversation_api (a fake model that answers at once) with
 * 1, 2 and 4 API processes (`--role api`) on one PostgreSQL, as a ratio against one process measured
 * in the same run. The load keeps the same number of connections in every round, spread evenly over
 * the processes, as a load balancer would.
 *
 * The machine's cores bound what more processes can give: the benchmark prints how many there are,
 * and the load generator, the fake model and PostgreSQL share them with the servers.
 *
 * Environment: BENCH_DATABASE_URL (a scratch database is created next to it), BENCH_SECONDS (per
 * round, 15), BENCH_CONNECTIONS (in total, 32), BENCH_PROCESSES (comma-separated, "1,2,4").
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startFakeModel } from './conversation-fake-model.js';
import { codeVersion, machineDescription, num, round, scratchDatabase, stopChild } from './support.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = num('BENCH_SECONDS', 15);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
const PROCESSES = (process.env.BENCH_PROCESSES ?? '1,2,4').split(',').map(Number);
const USERS = 200;

async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(join(import.meta.dirname, 'conversation-server.ts'), ['sinth'], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env } });
  const url = await new Promise<string>((res, rej) => {
    child.once('message', (m) => res((m as { url: string }).url));
    child.once('exit', (code) => rej(new Error(`API process exited with ${code}`)));
  });
  return { child, url };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Round {
  processes: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  ratio: number;
}

/** Runs the same load against every process at once (connections split evenly) and adds the results up. */
async function load(urls: string[], botId: string, key: string, duration = SECONDS): Promise<Omit<Round, 'processes' | 'ratio'>> {
  let n = 0;
  const body = () => JSON.stringify({ api_key: key, creator: botId, user_id: `scale-${n % USERS}`, message: `How was your day? (${n++})` });
  const per = Math.max(1, Math.floor(CONNECTIONS / urls.length));
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: `${url}/conversation_api`,
        connections: per,
        duration,
        requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req: any) => ({ ...req, body: body() }) }],
      }),
    ),
  );
  const sum = (f: (r: autocannon.Result) => number) => results.reduce((a, r) => a + f(r), 0);
  // Latency: the worst process's percentile, so a lagging process is not averaged away.
  return {
    rps: round(sum((r) => r.requests.average)),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    requests: sum((r) => r.requests.total),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}

export async function main(): Promise<void> {
  const scratch = await scratchDatabase(BASE_URL, `sinth_bench_scale_${process.pid}`);
  const fake = await startFakeModel();
  const children: ChildProcess[] = [];
  const rounds: Round[] = [];
  try {
    const env = { BENCH_DATABASE_URL: scratch.url, BENCH_LLM_URL: fake.url };
    // The first process applies the migrations; the others start on a migrated database.
    const first = await startApi(env);
    children.push(first.child);
    const account = await post(`${first.url}/create_account`, { email: `bench-scale-${Date.now()}@example.com`, password: 'benchmark-password' });
    const admin = { 'api-key': account.api_key as string };
    const bot = await post(`${first.url}/create_bot`, { name: 'Luna', prompt: 'You are Luna, warm and curious.', opening_message: 'Hey you.' }, admin);
    const key = await post(`${first.url}/create_api_key`, { name: 'bench', scope: 'conversation', bot_ids: [bot.bot_id] }, admin);
    const urls = [first.url];
    for (const count of PROCESSES) {
      while (urls.length < count) {
        const api = await startApi(env);
        children.push(api.child);
        urls.push(api.url);
      }
      process.stderr.write(`scale-out bench: ${count} API process(es), ${CONNECTIONS} connections, ${SECONDS} s\n`);
      // A short warm-up per round, so every process has compiled its hot paths and filled its pool.
      await load(urls.slice(0, count), bot.bot_id, key.key, 3);
      const r = await load(urls.slice(0, count), bot.bot_id, key.key);
      rounds.push({ processes: count, ...r, ratio: 0 });
    }
    const one = rounds.find((r) => r.processes === 1)?.rps ?? rounds[0]!.rps;
    for (const r of rounds) r.ratio = round(r.rps / one);

    const results = { at: new Date().toISOString(), code: codeVersion(), machine: machineDescription(scratch.pgVersion, scratch.loadBefore), cores: os.cpus().length, config: { seconds: SECONDS, connections: CONNECTIONS }, rounds };
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'scale-out.json'), JSON.stringify(results, null, 2) + '\n');
    const table = [
      '| API processes | requests/s | × one process | p50 ms | p99 ms | requests | non-2xx | errors |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rounds.map((r) => `| ${r.processes} | ${r.rps} | **${r.ratio}×** | ${r.p50} | ${r.p99} | ${r.requests} | ${r.non2xx} | ${r.errors} |`),
    ].join('\n');
    const md = `# Scale-out: conversation_api with 1, 2 and 4 API processes on one PostgreSQL\n\n${results.at} · ${results.code}\n\n${results.machine}\n\n${table}\n\nSame ${CONNECTIONS} connections in every round, split evenly over the processes; ${SECONDS} s per round after a 3 s warm-up; fake model answering at once. The load generator, the fake model and PostgreSQL run on the same ${results.cores} cores as the API processes, so more processes than cores cannot add throughput here: the ratio shows how much of the machine one process leaves unused, and that processes add up without contention in the database (no locks shared between turns of different users).\n`;
    writeFileSync(join(dir, 'scale-out.md'), md);
    process.stdout.write(`\n${md}\n`);
  } finally {
    await Promise.all(children.map(stopChild));
    await fake.close();
    await scratch.drop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
