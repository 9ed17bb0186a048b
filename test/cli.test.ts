import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { migrations } from '../src/db/migrations/index.js';

const pgUrl = inject('postgresUrl');
const BIN = join(process.cwd(), 'bin', 'sinth.js');

function run(args: string[], env: Record<string, string>, onLine?: (line: string, kill: () => void) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      for (const line of d.toString().split('\n')) if (line) onLine?.(line, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const dbEnv = (): Record<string, string> => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'cli-')), ...(pgUrl ? { DATABASE_URL: pgUrl } : {}) });

describe('sinth command', () => {
  it('migrate applies migrations, then finds nothing to do', async () => {
    const env = dbEnv();
    const first = await run(['migrate'], env);
    expect(first.code).toBe(0);
    // On the shared PostgreSQL test database the migrations were applied by the test setup already.
    expect(first.stdout).toContain(pgUrl ? 'up to date' : `applied: ${Object.keys(migrations).join(', ')}`);
    const second = await run(['migrate'], env);
    expect(second.stdout).toMatch(/up to date/);
  }, 90_000);

  it('stops with a message naming a bad variable', async () => {
    const res = await run(['serve'], { ...dbEnv(), PORT: 'eighty' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PORT/);
  });

  it('refuses an unknown role', async () => {
    const res = await run(['serve', '--role', 'boss'], dbEnv());
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--role must be api, worker or all/);
  });

  it('refuses a split role on the embedded database, which serves one process', async () => {
    const res = await run(['serve', '--role', 'worker'], { DATA_DIR: mkdtempSync(join(tmpdir(), 'cli-')) });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/needs DATABASE_URL/);
  });

  it('serve listens, answers /readyz and exits cleanly on SIGTERM', async () => {
    let ready: unknown = null;
    const res = await run(['serve', '--role', 'all'], { ...dbEnv(), PORT: '0', HOST: '127.0.0.1' }, (line, kill) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'sinth started' && entry.url) {
        fetch(`${entry.url}/readyz`)
          .then((r) => r.json())
          .then((body) => (ready = body))
          .finally(kill);
      }
    });
    expect(ready).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', retrieval: 'full-text (EMBEDDING_MODEL not set)' } });
    expect(res.code).toBe(0);
  }, 90_000);
});
