import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

export type ProcessRole = 'api' | 'worker';

/** One `sinth serve` process of the cluster; it keeps its name and port across restarts. */
export interface SinthProcess {
  name: string;
  role: ProcessRole;
  /** API processes: http://127.0.0.1:PORT */
  url: string | null;
  child: ChildProcess | null;
  /** Resolves with the exit code (or the signal's name) of the current run. */
  exited: Promise<number | string>;
  /** Starts of this process so far. */
  starts: number;
  log: string;
}

export interface Cluster {
  procs: SinthProcess[];
  api: SinthProcess[];
  workers: SinthProcess[];
  /** Starts (or starts again) a process and waits until it is ready: /readyz for an API, "sinth started" for a worker. */
  start(p: SinthProcess): Promise<void>;
  /** kill -9. */
  kill(p: SinthProcess): Promise<void>;
  /** SIGTERM; resolves with the exit code (or signal name) once it has exited. */
  terminate(p: SinthProcess): Promise<number | string>;
  /** The last lines of every process's log, for a failed test. */
  tails(lines?: number): string;
  /** Kills what still runs; `keepLogs` leaves the log directory in place (its path is printed). */
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 90_000;

/**
 * Real server processes (`node --import tsx src/cli.ts serve --role …`) on one database, each with
 * its own log file in a temporary directory. `env` is the servers' whole configuration (besides
 * PATH and HOME, nothing else of the test's environment leaks into them).
 */
export async function startCluster(env: Record<string, string>, shape: { api: number; workers: number }): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sinth-faults-logs-'));
  const procs: SinthProcess[] = [];
  for (let i = 0; i < shape.api; i++) {
    const port = await freePort();
    procs.push({ name: `api-${i + 1}`, role: 'api', url: `http://127.0.0.1:${port}`, child: null, exited: Promise.resolve(0), starts: 0, log: join(dir, `api-${i + 1}.log`) });
  }
  for (let i = 0; i < shape.workers; i++) {
    procs.push({ name: `worker-${i + 1}`, role: 'worker', url: null, child: null, exited: Promise.resolve(0), starts: 0, log: join(dir, `worker-${i + 1}.log`) });
  }

  const start = async (p: SinthProcess) => {
    p.starts++;
    const fd = openSync(p.log, 'a');
    const port = p.url ? new URL(p.url).port : '0';
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--role', p.role], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...env,
        PORT: port,
        HOST: '127.0.0.1',
        // A worker says it started at info level; an API's readiness is /readyz, and its request logs would only be noise.
        LOG_LEVEL: p.role === 'worker' ? 'info' : (env.LOG_LEVEL ?? 'warn'),
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    p.child = child;
    p.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let gone: number | string | null = null;
    void p.exited.then((c) => (gone = c));
    for (;;) {
      if (gone !== null) throw new Error(`${p.name} exited (${gone}) while starting:\n${tail(p.log, 30)}`);
      if (Date.now() > deadline) throw new Error(`${p.name} did not become ready in ${STARTUP_TIMEOUT_MS} ms:\n${tail(p.log, 30)}`);
      if (p.url) {
        const ok = await fetch(`${p.url}/readyz`).then((r) => r.ok, () => false);
        if (ok) return;
      } else if (startedRuns(p.log) >= p.starts) {
        return;
      }
      await sleep(100);
    }
  };

  const kill = async (p: SinthProcess) => {
    p.child?.kill('SIGKILL');
    await p.exited;
  };

  const terminate = async (p: SinthProcess) => {
    p.child?.kill('SIGTERM');
    return p.exited;
  };

  return {
    procs,
    api: procs.filter((p) => p.role === 'api'),
    workers: procs.filter((p) => p.role === 'worker'),
    start,
    kill,
    terminate,
    tails: (lines = 25) => procs.map((p) => `----- ${p.name} (${p.log}) -----\n${tail(p.log, lines)}`).join('\n'),
    stop: async (opts = {}) => {
      for (const p of procs) if (p.child && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      if (opts.keepLogs) process.stdout.write(`server logs kept in ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How many times the log says the process started (a restarted process appends to the same file). */
function startedRuns(log: string): number {
  if (!existsSync(log)) return 0;
  return readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"sinth started"')).length;
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
}
