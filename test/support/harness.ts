import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, pgliteOptions, wrapPglite, type DatabaseHandle } from '../../src/db/database.js';
import { startServer, type Server } from '../../src/main.js';
import type { Role } from '../../src/jobs/queue.js';
import type { AppDeps } from '../../src/core/context.js';

export const TEST_SECRET = 'ab'.repeat(32);

export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface RequestOptions {
  key?: string;
  bearer?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
  ip?: string;
}

export interface Harness {
  app: FastifyInstance;
  server: Server;
  config: Config;
  database: DatabaseHandle;
  /** What the server's services run with (its model, its job queue). */
  deps: AppDeps;
  request<T = any>(method: 'GET' | 'POST', url: string, opts?: RequestOptions): Promise<TestResponse<T>>;
  /** A fresh account: every test isolates itself in its own tenant. */
  signup(): Promise<{ accountId: string; key: string; email: string; password: string }>;
  createBot(key: string, body?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

/**
 * Opens this file's database: its own PGlite loaded from the run's template, or the run's PostgreSQL
 * database. `vector` loads pgvector into PGlite (PostgreSQL has it or not, whatever is asked).
 */
export async function openTestDatabase(opts: { vector?: boolean } = {}): Promise<DatabaseHandle> {
  const pgUrl = inject('postgresUrl');
  const template = inject('postgresTemplate');
  if (pgUrl && template) return openPostgresCopy(pgUrl, template);
  const blob = new Blob([readFileSync(inject('pgliteTemplate'))]);
  return wrapPglite(await PGlite.create({ loadDataDir: blob, ...(await pgliteOptions({ vector: opts.vector })) }));
}

/** A database of this harness's own, copied from the run's migrated template, dropped when it closes. */
async function openPostgresCopy(runUrl: string, template: string): Promise<DatabaseHandle> {
  const name = `${template}_f${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: runUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(runUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: tmpdir(), poolSize: 5 });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const c = new pg.Client({ connectionString: runUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'sinth-test-')), LOG_LEVEL: 'silent', RATE_LIMITS: 'off', SECRET_KEY: TEST_SECRET, ...env });
}

export const uniqueEmail = () => `user-${randomBytes(6).toString('hex')}@example.com`;

/** `vector`: load pgvector into PGlite; by default exactly when EMBEDDING_MODEL is set, as the server does. */
export async function startHarness(env: Record<string, string> = {}, opts: { role?: Role; vector?: boolean } = {}): Promise<Harness> {
  // On the run's shared PostgreSQL database each server gets its own job queue, so no other test's
  // worker (with other settings) takes its jobs.
  const jobs: Record<string, string> = inject('postgresUrl') ? { JOBS_SCHEMA: `pgboss_${randomBytes(4).toString('hex')}` } : {};
  const config = testConfig({ ...jobs, ...env });
  const database = await openTestDatabase({ vector: opts.vector ?? env.EMBEDDING_MODEL !== undefined });
  const server = await startServer(config, { database, listen: false, role: opts.role ?? 'all', log: createLogger('silent') });
  const app = server.app!;

  const request: Harness['request'] = async (method, url, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.key) headers['api-key'] = o.key;
    if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
    const res = await app.inject({
      method,
      url,
      query: o.query ? Object.fromEntries(Object.entries(o.query).map(([k, v]) => [k, String(v)])) : undefined,
      headers,
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
      ...(o.ip ? { remoteAddress: o.ip } : {}),
    });
    let body: unknown = res.body;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // not JSON (docs pages)
    }
    return { status: res.statusCode, body: body as any, headers: res.headers };
  };

  const signup: Harness['signup'] = async () => {
    const email = uniqueEmail();
    const password = 'correct horse battery';
    const res = await request('POST', '/create_account', { body: { email, password } });
    if (res.status !== 200) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { accountId: res.body.account_id, key: res.body.api_key, email, password };
  };

  const createBot: Harness['createBot'] = async (key, body = {}) => {
    const res = await request('POST', '/create_bot', { key, body: { name: 'Test bot', ...body } });
    if (res.status !== 200) throw new Error(`create_bot failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  return {
    app,
    server,
    config,
    database,
    deps: server.deps,
    request,
    signup,
    createBot,
    close: async () => {
      await server.close();
      await database.close();
    },
  };
}
