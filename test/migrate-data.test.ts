import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { startServer, type Server } from '../src/main.js';
import { migrateData, MigrateDataError, verifyData } from '../src/db/migrate-data.js';
import { runMigrateData } from '../src/db/migrate-data-command.js';
import { ERASE_BOT_JOB } from '../src/features/bots/bot-erasure.js';
import { TEST_SECRET, uniqueEmail } from './support/harness.js';
import { PGlite } from '@electric-sql/pglite';
import { wrapPglite } from '../src/db/database.js';
import { dependencyOrder, listForeignKeys, listTables } from '../src/db/table-catalog.js';
import { copySequences, copyTable, useStableText } from '../src/db/table-copy.js';
import { compareTables } from '../src/db/table-checksum.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { Kysely, PostgresDialect } from 'kysely';

// A whole embedded data directory moved into PostgreSQL: made by a real server, copied, verified, and
// then served by a server on PostgreSQL, which must find everything (passwords, keys, knowledge,
// history, pending jobs) where it was.

const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: SERVER_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const FACT = 'The lighthouse of Port Velin is painted violet every spring by the keeper, Ondra Salo.';
const PASSWORD = 'correct horse battery';

function inject(server: Server, method: 'GET' | 'POST', url: string, o: { key?: string; body?: object; query?: Record<string, string> } = {}) {
  return server.app!.inject({ method, url, query: o.query, headers: o.key ? { 'api-key': o.key } : {}, ...(o.body ? { payload: o.body } : {}) });
}

function multipartFile(fields: Record<string, string>, name: string, content: string) {
  const boundary = `----sinth${randomBytes(6).toString('hex')}`;
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/markdown\r\n\r\n${content}\r\n--${boundary}--\r\n`);
  return { payload: Buffer.from(parts.join('')), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const reachable = await answers(SERVER_URL);

describe.skipIf(!reachable)('migrate-data: PGlite data directory into PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sinth-migrate-'));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMITS: 'off', SECRET_KEY: TEST_SECRET };
  const dbName = `sinth_migrate_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const target = (() => {
    const u = new URL(SERVER_URL);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  const made = { email: uniqueEmail(), key: '', pk: '', botId: '', sourceId: '', jobId: '' };

  beforeAll(async () => {
    const source = await startServer(loadConfig(env), { listen: false, log: createLogger('silent') });
    try {
      const account = await inject(source, 'POST', '/create_account', { body: { email: made.email, password: PASSWORD } });
      made.key = account.json().api_key;
      made.botId = (await inject(source, 'POST', '/create_bot', { key: made.key, body: { name: 'Guide', prompt: 'You are a harbour guide.' } })).json().bot_id;
      made.pk = (await inject(source, 'POST', '/create_api_key', { key: made.key, body: { name: 'widget', scope: 'conversation', bot_ids: [made.botId] } })).json().key;

      const file = multipartFile({ bot_id: made.botId }, 'velin.md', `# Port Velin\n\n${FACT}\n\nFerries leave every hour.`);
      const up = await source.app!.inject({ method: 'POST', url: '/upload', payload: file.payload, headers: { ...file.headers, 'api-key': made.key } });
      expect(up.statusCode, up.body).toBe(200);
      made.sourceId = up.json().source_id;
      for (let i = 0; ; i++) {
        const files = (await inject(source, 'GET', '/get_filenames', { key: made.key, query: { bot_id: made.botId } })).json().data;
        if (files.find((f: any) => f.file_id === made.sourceId)?.status === 'ready') break;
        if (i > 200) throw new Error('the upload was not indexed');
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const message of ['hello there', 'who paints the lighthouse?']) {
        const res = await inject(source, 'POST', '/conversation_api', { body: { api_key: made.pk, creator: made.botId, user_id: 'fan-1', message } });
        expect(res.statusCode, res.body).toBe(200);
      }
      // A job due in an hour: pending work must survive the move.
      made.jobId = (await source.queue.send(ERASE_BOT_JOB, { botId: 'bot_later' }, { startAfterSeconds: 3600 }))!;
      expect(made.jobId).toBeTruthy();
    } finally {
      await source.close();
    }
    await admin((c) => c.query(`create database ${dbName}`));
  }, 120_000);

  afterAll(async () => {
    if (reachable) await admin((c) => c.query(`drop database if exists ${dbName} with (force)`));
  });

  it('copies every table and finds each one identical afterwards', async () => {
    const progress: string[] = [];
    const result = await migrateData({ dataDir, targetUrl: target, jobsSchema: 'pgboss', onProgress: (m) => progress.push(m) });
    expect(result.checks.filter((c) => !c.match)).toEqual([]);
    expect(result.ok).toBe(true);
    const rows = Object.fromEntries(result.checks.map((c) => [c.table, c.targetRows]));
    expect(rows['public.accounts']).toBe(1);
    expect(rows['public.knowledge_files']).toBe(1);
    expect(rows['public.knowledge_chunks']).toBeGreaterThan(0);
    expect(rows['public.messages']).toBeGreaterThanOrEqual(4);
    expect(rows['pgboss.job']).toBeGreaterThan(0);
    expect(rows['pgboss.queue']).toBeGreaterThan(0);
    expect(progress).toContain('  public.bots: 1 rows');
  }, 120_000);

  it('detects a changed row: the checksum of that table no longer matches', async () => {
    expect((await verifyData({ dataDir, targetUrl: target, jobsSchema: 'pgboss' })).ok).toBe(true);
    const tamper = async (name: string) => {
      const t = new pg.Client({ connectionString: target });
      await t.connect();
      try {
        await t.query('update bots set name = $1 where id = $2', [name, made.botId]);
      } finally {
        await t.end();
      }
    };
    await tamper('Guidf');
    try {
      const result = await verifyData({ dataDir, targetUrl: target, jobsSchema: 'pgboss' });
      expect(result.ok).toBe(false);
      expect(result.checks.filter((c) => !c.match)).toEqual([{ table: 'public.bots', sourceRows: 1, targetRows: 1, match: false }]);
    } finally {
      await tamper('Guide');
    }
    expect((await verifyData({ dataDir, targetUrl: target, jobsSchema: 'pgboss' })).ok).toBe(true);
  }, 120_000);

  it('refuses to copy into a database that already holds data, and leaves it as it was', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const config = { DATA_DIR: dataDir, JOBS_SCHEMA: 'pgboss' } as Pick<Config, 'DATA_DIR' | 'JOBS_SCHEMA'>;
    const code = await runMigrateData(['--to', target], config, { write: (s: string) => out.push(s) }, { write: (s: string) => err.push(s) });
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/already holds data \(.*public\.accounts/);
    await expect(migrateData({ dataDir, targetUrl: target, jobsSchema: 'pgboss' })).rejects.toBeInstanceOf(MigrateDataError);
    expect((await verifyData({ dataDir, targetUrl: target, jobsSchema: 'pgboss' })).ok).toBe(true);
  }, 120_000);

  it('refuses a DATA_DIR that holds no database, or one a server is running on', async () => {
    await expect(migrateData({ dataDir: mkdtempSync(join(tmpdir(), 'sinth-empty-')), targetUrl: target, jobsSchema: 'pgboss' })).rejects.toThrow(/no database in/);
    // The lock file of a live process (pid 1 always is): the server that owns the directory.
    const empty = `${dbName}_empty`;
    await admin((c) => c.query(`create database ${empty}`));
    writeFileSync(join(dataDir, 'pgdata.lock'), '1');
    try {
      const url = new URL(SERVER_URL);
      url.pathname = `/${empty}`;
      await expect(migrateData({ dataDir, targetUrl: url.toString(), jobsSchema: 'pgboss' })).rejects.toThrow(/in use by process 1: stop the server/);
    } finally {
      rmSync(join(dataDir, 'pgdata.lock'));
      await admin((c) => c.query(`drop database if exists ${empty} with (force)`));
    }
  });

  it('leaves the target without a row when the copy fails part way', async () => {
    const name = `${dbName}_fail`;
    await admin((c) => c.query(`create database ${name}`));
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      // A target migrated ahead of time (allowed), with a rule that one message of the source breaks:
      // the messages table is copied long after accounts, bots and the job queue.
      await migrateToLatest(new Kysely<any>({ dialect: new PostgresDialect({ pool }) }));
      await pool.query(`alter table messages add constraint no_greetings check (content <> 'hello there')`);
      await expect(migrateData({ dataDir, targetUrl: url.toString(), jobsSchema: 'pgboss' })).rejects.toThrow(/no_greetings/);
      const { rows } = await pool.query(
        `select (select count(*) from accounts) as accounts, (select count(*) from bots) as bots, (select count(*) from knowledge_files) as files,
                (select count(*) from conversations) as conversations, (select count(*) from pgboss.job) as jobs`,
      );
      expect(rows[0]).toEqual({ accounts: 0, bots: 0, files: 0, conversations: 0, jobs: 0 });
    } finally {
      await pool.end();
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    }
  }, 120_000);

  it('serves the moved data from PostgreSQL: same password, same keys, same knowledge, same history, same pending job', async () => {
    const server = await startServer(loadConfig({ ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'sinth-moved-')), DATABASE_URL: target }), {
      listen: false,
      log: createLogger('silent'),
    });
    try {
      expect(server.database.kind).toBe('postgres');
      const login = await inject(server, 'POST', '/login', { body: { email: made.email, password: PASSWORD } });
      expect(login.statusCode, login.body).toBe(200);

      const bots = await inject(server, 'GET', '/get_bots', { key: made.key });
      expect(bots.statusCode).toBe(200);
      expect(JSON.stringify(bots.json())).toContain(made.botId);

      const found = await inject(server, 'GET', '/search_knowledge', { key: made.key, query: { bot_id: made.botId, query: 'who paints the lighthouse?' } });
      expect(found.json().data[0]).toMatchObject({ source_id: made.sourceId, filename: 'velin.md' });
      expect(found.json().data[0].content).toContain('painted violet');

      const history = await inject(server, 'GET', '/get_conversation_external', { key: made.key, query: { creator: made.botId, user_id: 'fan-1' } });
      const said = history.json().data.filter((m: any) => m.role === 'user').map((m: any) => m.content);
      expect(said).toEqual(['who paints the lighthouse?', 'hello there']);

      // The conversation goes on in the new database.
      const next = await inject(server, 'POST', '/conversation_api', { body: { api_key: made.pk, creator: made.botId, user_id: 'fan-1', message: 'thanks!' } });
      expect(next.statusCode, next.body).toBe(200);
      const after = await inject(server, 'GET', '/get_conversation_external', { key: made.key, query: { creator: made.botId, user_id: 'fan-1' } });
      expect(after.json().data.filter((m: any) => m.role === 'user')).toHaveLength(3);

      const job = await server.database.pool.query(`select name, state, data, start_after > now() + interval '50 minutes' as later from pgboss.job where id = $1`, [made.jobId]);
      expect(job.rows).toEqual([{ name: ERASE_BOT_JOB, state: 'created', data: { botId: 'bot_later' }, later: true }]);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe.skipIf(!reachable)('migrate-data: values of every kind', () => {
  const dbName = `sinth_migrate_kinds_${Date.now()}_${randomBytes(3).toString('hex')}`;
  afterAll(async () => {
    if (reachable) await admin((c) => c.query(`drop database if exists ${dbName} with (force)`));
  });

  it('copies them exactly, in batches, parents of a self-referencing table after their children, and checksums them alike', async () => {
    const ddl = `
      create table kinds (
        k text not null, n int not null, seq bigint generated always as identity,
        parent_k text, parent_n int,
        f float8, r real, num numeric(12, 4), big bigint,
        ts timestamptz, t timestamp, d date, iv interval,
        j jsonb, arr text[], ints int[], blob bytea, flag boolean, u uuid,
        words tsvector generated always as (to_tsvector('english', coalesce(k, ''))) stored,
        primary key (k, n),
        foreign key (parent_k, parent_n) references kinds (k, n)
      )`;
    const source = await wrapPglite(await PGlite.create());
    await admin((c) => c.query(`create database ${dbName}`));
    const url = new URL(SERVER_URL);
    url.pathname = `/${dbName}`;
    const targetPool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      await source.pool.query(ddl);
      await targetPool.query(ddl);
      // Mixed case keys: "C" order puts 'Zed' before 'apple', a locale-aware order would not. 'Zed' is
      // copied batches before its parent ('line…', after the blobs): its key can only hold at commit.
      await source.pool.query(`
        insert into kinds (k, n, parent_k, parent_n, f, r, num, big, ts, t, d, iv, j, arr, ints, blob, flag, u) values
        ('apple', 1, null, null, 0.1, 1.5, 12345678.1234, 9007199254740993, '2024-03-01 12:34:56.789012+02', '2024-03-01 12:34:56.5', '2024-02-29', '1 year 2 mons 3 days 04:05:06.7',
          '{"a": [1, 2.50, "é\\u00e9x"], "b": null}', array['x', null, 'quote"s', 'back\\slash', ''], array[1, null, 3], '\\x00ff10', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
        ('Zed', 2, 'line\nbreak, comma', 4, 'NaN', '-Infinity', -0.0001, -1, '1970-01-01 00:00:00+00', '0001-01-01 00:00:00', '5874897-12-31', '-1 days', '[]', '{}', '{}', '', false, null),
        ('émoji 🎉', 3, 'Zed', 2, -0.0, 3.4028235e38, null, null, 'infinity', '-infinity', null, '0', '"just a string"', array['🎉'], null, null, null, null),
        ('line\nbreak, comma', 4, null, null, 1e-300, 1e-30, 0, 0, null, null, null, null, 'null', null, null, null, null, null)`);
      // Incompressible blobs, over several batches of 1 MB of stored data.
      for (let i = 0; i < 5; i++) await source.pool.query(`insert into kinds (k, n, blob) values ('blob', $1, $2)`, [i, randomBytes(400 * 1024)]);

      const [table] = (await listTables(source.pool, ['public'])).filter((t) => t.name === 'kinds');
      const { lateKeys } = dependencyOrder([table!], await listForeignKeys(targetPool, ['public']));
      expect(lateKeys.map((k) => k.from)).toEqual(['public.kinds']);
      const s = await source.pool.connect();
      const t = await targetPool.connect();
      try {
        await useStableText(s);
        await useStableText(t);
        const batches: number[] = [];
        await t.query('begin');
        await t.query(`alter table kinds alter constraint ${lateKeys[0]!.name} deferrable initially deferred`);
        expect(await copyTable(s, t, table!, (n) => batches.push(n), 1024 * 1024)).toBe(9);
        expect(await copySequences(s, t, ['public'])).toBe(1);
        await t.query('commit');
        expect(batches.length).toBeGreaterThan(2);

        expect(await compareTables(s, t, [table!])).toEqual([{ table: 'public.kinds', sourceRows: 9, targetRows: 9, match: true }]);
        const all = `select k, n, kinds::text as row from kinds order by k collate "C", n`;
        expect((await t.query(all)).rows).toEqual((await s.query(all)).rows);
        const blobs = `select n, md5(blob) as sum from kinds where k = 'blob' order by n`;
        expect((await t.query(blobs)).rows).toEqual((await s.query(blobs)).rows);
        // The identity goes on from the source's last value, not from 1 again.
        const next = `insert into kinds (k, n) values ('next', 0) returning seq`;
        expect((await t.query(next)).rows).toEqual([{ seq: 10 }]);
      } finally {
        t.release();
        s.release();
      }
    } finally {
      await targetPool.end();
      await source.close();
    }
  }, 120_000);
});
