import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { migrations } from '../src/db/migrations/index.js';
import { startServer } from '../src/main.js';
import { PgBossQueue } from '../src/jobs/queue.js';
import { uniqueEmail } from './support/harness.js';

const pgUrl = inject('postgresUrl');

describe('configuration', () => {
  it('names the variable that holds a bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')) })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty', DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')) })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')) })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ RATE_LIMITS: 'maybe', DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')) })).toThrow(/RATE_LIMITS/);
  });

  it('generates SECRET_KEY into DATA_DIR once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(first.SECRET_KEY);
    expect(loadConfig({ DATA_DIR: dir }).SECRET_KEY).toBe(first.SECRET_KEY);
  });

  it('creates DATA_DIR when it is missing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'nested', 'data');
    loadConfig({ DATA_DIR: dir });
    expect(existsSync(dir)).toBe(true);
  });
});

describe('restart', () => {
  it('keeps what was written when the server stops and starts on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'restart-'));
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMITS: 'off', ...(pgUrl ? { DATABASE_URL: pgUrl } : {}) };
    const log = createLogger('silent');

    const first = await startServer(loadConfig(env), { listen: false, log });
    const account = await first.app!.inject({ method: 'POST', url: '/create_account', payload: { email: uniqueEmail(), password: 'password123' } });
    const key = account.json().api_key as string;
    const bot = await first.app!.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key }, payload: { name: 'Persistent', prompt: 'Remember me.' } });
    expect(bot.statusCode).toBe(200);
    await first.close();

    const second = await startServer(loadConfig(env), { listen: false, log });
    try {
      const res = await second.app!.inject({ method: 'GET', url: '/get_prompt', headers: { 'api-key': key }, query: { bot_id: bot.json().bot_id } });
      expect(res.statusCode).toBe(200);
      expect(res.json().prompt).toBe('Remember me.');
    } finally {
      await second.close();
    }
  }, 90_000);
});

/** Runs `work` against a new, empty PostgreSQL database that is dropped afterwards. */
async function withScratchDatabase(work: (url: string) => Promise<void>): Promise<void> {
  const name = `sinth_scratch_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl! });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  try {
    await work(url.toString());
  } finally {
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  }
}

describe.skipIf(!pgUrl)('job queue on PostgreSQL', () => {
  it('starts when several instances create their queues at the same moment', () =>
    withScratchDatabase(async (url) => {
      const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: url, dataDir: tmpdir() })));
      const queues = handles.map((h) => new PgBossQueue(h.pool, 'all', createLogger('silent')));
      const defs = ['a', 'b', 'c', 'd'].map((n) => ({ name: `test.${n}`, handle: async () => undefined }));
      try {
        await Promise.all(queues.map((q) => q.start(defs)));
        const rows = await handles[0]!.pool.query(`select name from pgboss.queue where name like 'test.%' order by name`);
        expect(rows.rows.map((r) => r.name)).toEqual(['test.a', 'test.b', 'test.c', 'test.d']);
      } finally {
        await Promise.all(queues.map((q) => q.stop(false)));
        await Promise.all(handles.map((h) => h.close()));
      }
    }), 60_000);
});

describe.skipIf(!pgUrl)('migrations on PostgreSQL', () => {
  it('apply once when two instances migrate at the same moment', () =>
    withScratchDatabase(async (url) => {
      const a = await openDatabase({ databaseUrl: url, dataDir: tmpdir() });
      const b = await openDatabase({ databaseUrl: url, dataDir: tmpdir() });
      try {
        const [ra, rb] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
        // One of the two applied every migration; the other found them done.
        const all = Object.keys(migrations).sort();
        expect([...ra, ...rb].sort()).toEqual(all);
        const rows = await a.pool.query('select name from schema_migrations');
        expect(rows.rows.map((r) => r.name).sort()).toEqual(all);
      } finally {
        await a.close();
        await b.close();
      }
    }));
});
