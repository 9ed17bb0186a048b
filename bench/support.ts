/** What every benchmark shares: its settings from the environment, rounding, and how a run names the code and machine it measured. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';

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
