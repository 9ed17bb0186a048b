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
    /**
     * With TEST_DATABASE_URL: a migrated database no one connects to, which each test file's harness
     * copies (CREATE DATABASE … TEMPLATE) into a database of its own: one file's worker loops never
     * see another file's rows, as with PGlite.
     */
    postgresTemplate: string | null;
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

async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; template: string; drop: () => Promise<void> }> {
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
  const template = `${name}_tpl`;
  const creator = new pg.Client({ connectionString: baseUrl });
  await creator.connect();
  await creator.query(`create database ${template} template ${name}`);
  await creator.end();
  return {
    url: url.toString(),
    template,
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      // The files' own copies too, should a file have died without dropping its copy.
      const { rows } = await c.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${name}%`]);
      for (const { datname } of rows) await c.query(`drop database if exists ${datname} with (force)`);
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
  project.provide('postgresTemplate', pgdb?.template ?? null);
  return async () => {
    if (template && existsSync(template)) rmSync(template);
    await pgdb?.drop();
  };
}
