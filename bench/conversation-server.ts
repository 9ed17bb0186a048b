/**
 * Child process of the conversation benchmark, one of two kinds (argv[2]):
 * - `sinth`: the server (role api) on the benchmark database, its model at BENCH_LLM_URL;
 * - `baseline`: a bare Fastify route doing one ~200-byte INSERT through a pg pool of the same size.
 * Each reports its address to the parent and stops on 'stop'. Separate processes keep the sinth
 * server's memory its own and keep an idle baseline from sharing its event loop.
 */
import Fastify from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';

export const POOL_SIZE = '10';

const databaseUrl = process.env.BENCH_DATABASE_URL!;
const kind = process.argv[2];

/**
 * Every statement sent to PostgreSQL, counted with the time until its answer was handled, so the
 * benchmark can tell round trips per turn and the database's share of a turn. A counter and a clock
 * read per statement: nothing the server would notice.
 */
const dbStats = { queries: 0, ms: 0 };
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const started = performance.now();
  dbStats.queries++;
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    args[args.length - 1] = (...cbArgs: unknown[]) => {
      dbStats.ms += performance.now() - started;
      return (last as (...a: unknown[]) => unknown)(...cbArgs);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  if (result instanceof Promise) {
    const done = () => void (dbStats.ms += performance.now() - started);
    result.then(done, done);
  }
  return result;
} as typeof pg.Client.prototype.query;

if (kind === 'sinth') {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-conv-')),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMITS: 'off',
    DATABASE_POOL_SIZE: POOL_SIZE,
    LLM_BASE_URL: process.env.BENCH_LLM_URL!,
    LLM_API_KEY: 'bench-llm-key',
    LLM_MODEL: 'bench-model',
  });
  const server = await startServer(config, { role: 'api', log: createLogger('warn') });
  process.send!({ url: server.url });
  process.on('message', async (msg) => {
    if (msg === 'stop') {
      await server.close();
      process.exit(0);
    }
    if (msg === 'db-stats') process.send!({ dbStats });
    // Where the memory is: the heap as the server sees it, and what is left of it after a GC.
    if (msg === 'memory') {
      const before = process.memoryUsage();
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({ memory: { before, afterGc: process.memoryUsage() } });
    }
  });
} else if (kind === 'baseline') {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(POOL_SIZE) });
  await pool.query(`create table if not exists bench_inserts (
    id text primary key, conversation_id text not null, role text not null, content text not null, created_at timestamptz not null default now())`);
  const app = Fastify();
  // The same body the conversation API takes; one row of about 200 bytes, like a stored message.
  app.post('/insert', async (req) => {
    const body = req.body as { user_id: string; message: string };
    const id = `msg_${randomBytes(13).toString('hex')}`;
    await pool.query('insert into bench_inserts (id, conversation_id, role, content) values ($1, $2, $3, $4)', [id, `conv_${body.user_id}`, 'user', body.message]);
    return { message_id: id };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.send!({ url });
  process.on('message', async (msg) => {
    if (msg === 'stop') {
      await app.close();
      await pool.end();
      process.exit(0);
    }
  });
} else {
  process.stderr.write(`usage: conversation-server.ts sinth|baseline\n`);
  process.exit(2);
}
