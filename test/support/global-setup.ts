import { mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, openDatabase, pgliteOptions } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data directory, dumped once per run; each test file loads its own copy. */
    pgliteTemplate: string;
    /** When TEST_DATABASE_URL is set: a database made for this run, dropped at its end. */
    postgresUrl: string | null;
  }
}

const TEMPLATE_DIR = join(process.cwd(), '.test-template');

async function buildPgliteTemplate(): Promise<string> {
  const file = join(TEMPLATE_DIR, `template-${process.pid}.tar.gz`);
  mkdirSync(TEMPLATE_DIR, { recursive: true });
  const pglite = await PGlite.create(await pgliteOptions());
  const handle = await wrapPglite(pglite);
  await migrateToLatest(handle.db);
  await handle.db.destroy();
  const dump = await pglite.dumpDataDir('gzip');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();
  return file;
}

async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sinth_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: TEMPLATE_DIR, poolSize: 2 });
  await migrateToLatest(handle.db);
  await handle.close();
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  const template = base ? '' : await buildPgliteTemplate();
  const pgdb = base ? await createPostgresDatabase(base) : null;
  project.provide('pgliteTemplate', template);
  project.provide('postgresUrl', pgdb?.url ?? null);
  return async () => {
    if (template && existsSync(template)) rmSync(template);
    await pgdb?.drop();
  };
}
