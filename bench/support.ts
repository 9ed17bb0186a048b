/** What every benchmark shares: its settings from the environment, rounding, and how a run names the code and machine it measured. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A numeric setting from the environment, or its default. */
export const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
/** The middle element by `key` (the upper middle for an even count). */
export const median = <T>(xs: T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;

/** The code measured: the commit, and whether src/ had uncommitted changes. */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }).trim();
    return `commit ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'commit unknown';
  }
}

/** The machine, and how busy it was: the load average when the run started (`loadBefore`) and now. */
export function machineDescription(pgVersion: string, loadBefore: number): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, PostgreSQL ${pgVersion} on the same machine, 1-minute load average ${loadBefore.toFixed(1)} at the start and ${os.loadavg()[0]!.toFixed(1)} at the end`;
}

export interface ScratchDatabase {
  name: string;
  /** The scratch database's connection URL. */
  url: string;
  pgVersion: string;
  /** The 1-minute load average before the run, for machineDescription. */
  loadBefore: number;
  /** A connection to the server's maintenance database (for pg_stat_activity and the like). */
  admin: pg.Client;
  drop(): Promise<void>;
}

/** A fresh database named `name` on the server of `baseUrl` (any existing one of that name is dropped first). */
export async function scratchDatabase(baseUrl: string, name: string): Promise<ScratchDatabase> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  const pgVersion = (await admin.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
  const loadBefore = os.loadavg()[0]!;
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    pgVersion,
    loadBefore,
    admin,
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** Asks a benchmark server child to stop ('stop' message), and kills it if it has not exited within 15 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
