/**
 * Child process of the foundation benchmark: runs sinth (role api) against the benchmark database and,
 * on the same pool, a bare Fastify "baseline" that runs each endpoint's main SQL statement and nothing
 * else. Reports both addresses and the fixtures to the parent, which drives the load.
 */
import Fastify from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';
import { systemContext } from '../src/core/context.js';
import { savePromptStatement } from '../src/features/prompts/prompts-service.js';

const databaseUrl = process.env.BENCH_DATABASE_URL!;
const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-')), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMITS: 'off', DATABASE_POOL_SIZE: '10' });
const server = await startServer(config, { role: 'api', log: createLogger('warn') });
const app = server.app!;

// Fixtures: one account with 20 bots, the shape of a typical creator.
const account = await app.inject({ method: 'POST', url: '/create_account', payload: { email: `bench-${Date.now()}@example.com`, password: 'benchmark-password' } });
const key = account.json().api_key as string;
const accountId = account.json().account_id as string;
const botIds: string[] = [];
for (let i = 0; i < 20; i++) {
  const bot = await app.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key }, payload: { name: `Bot ${i}`, prompt: 'You are a friendly persona. '.repeat(20) } });
  botIds.push(bot.json().bot_id);
}

const pool = server.database.pool;
const baseline = Fastify();
baseline.get('/get_bots', async () => {
  const { rows } = await pool.query('select * from bots where account_id = $1 and deleted_at is null order by id limit $2', [accountId, 51]);
  return { data: rows, next_cursor: null };
});
// edit_prompt's main statement is one data-modifying statement (update + version + audit row): the
// baseline runs exactly that statement, compiled by the same function, with nothing around it.
const baselineCtx = { ...systemContext(server.deps, accountId), actor: { type: 'key' as const, id: 'key_baseline' }, requestId: 'req_baseline', ip: '127.0.0.1' };
baseline.post('/edit_prompt', async (req) => {
  const body = req.body as { bot_id: string; prompt: string };
  const compiled = savePromptStatement(baselineCtx, body.bot_id, body.prompt, 'edit', null).compile(server.deps.db);
  const { rows } = await pool.query(compiled.sql, compiled.parameters as unknown[]);
  return { bot_id: rows[0].id, prompt: rows[0].prompt, version: rows[0].prompt_version };
});
const baselineUrl = await baseline.listen({ port: 0, host: '127.0.0.1' });

process.send!({ sinthUrl: server.url, baselineUrl, key, botIds });
process.on('message', async (msg) => {
  if (msg === 'stop') {
    await baseline.close();
    await server.close();
    process.exit(0);
  }
});
