import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Debian's PostgreSQL binaries (the postgresql-15 package). */
const BIN = '/usr/lib/postgresql/15/bin';
const RUNUSER = '/usr/sbin/runuser';

/**
 * Why a private PostgreSQL cannot be started here, or null when it can: the test restarts its server
 * mid-run, which must never be the shared one on 5432 that other test runs use.
 */
export function privatePostgresUnavailable(): string | null {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) return `no PostgreSQL binaries in ${BIN}`;
  if (userInfo().uid === 0) {
    if (!existsSync(RUNUSER)) return `${RUNUSER} is missing (initdb refuses to run as root)`;
    try {
      if (!readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith('postgres:'))) return 'no postgres user to run initdb as';
    } catch {
      return 'cannot read /etc/passwd';
    }
  }
  return null;
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/sinth */
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when it resolves. */
  restart(): Promise<void>;
  /** The server's log (for failures). */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster of the test's own: initdb into a temporary directory (as the
 * postgres user when running as root), trust auth, listening on 127.0.0.1 on a free port, with a
 * database `sinth`. Durability settings are off: the test restarts it cleanly, it never crashes it.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sinth-faults-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(dir, 0o700);
  }
  const pgRun = (bin: string, args: string[]) => (asRoot ? run(RUNUSER, ['-u', 'postgres', '--', join(BIN, bin), ...args]) : run(join(BIN, bin), args));
  await pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, `-c listen_addresses=127.0.0.1`, '-c max_connections=300', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'].join(' ');
  const ctl = (...args: string[]) => pgRun('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args]);
  await ctl('-o', options, 'start');
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query('create database sinth');
  await admin.end();
  return {
    url: `${base}/sinth`,
    port,
    restart: async () => {
      // pg_ctl restart keeps the options the server was started with (postmaster.opts).
      await ctl('-m', 'fast', 'restart');
    },
    logTail: (lines = 40) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n') : ''),
    stop: async () => {
      await ctl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
