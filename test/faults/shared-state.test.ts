import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { privatePostgresUnavailable } from './support/postgres.js';
import { signup, startFaultWorld, type FaultWorld, type Tenant } from './support/world.js';

// What one process knows, every process must know: a key's rate limit and an Idempotency-Key hold
// across API processes, because they live in the database and not in any process's memory.

const unavailable = privatePostgresUnavailable();
const PER_KEY = 20;

describe.skipIf(unavailable)(`state shared by API processes${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let w: FaultWorld;
  let failed = false;

  beforeAll(async () => {
    w = await startFaultWorld({ api: 2, workers: 1 }, { RATE_LIMITS: 'true', RATE_LIMIT_PER_KEY: String(PER_KEY), RATE_LIMIT_PER_IP: '1000' });
  }, 180_000);
  afterAll(async () => w?.close({ keepLogs: failed }), 60_000);

  const urls = () => w.cluster.api.map((p) => p.url!);

  it('counts one rate limit per key whichever process answers', async () => {
    onTestFailed(() => void (failed = true));
    const t = await signup(urls()[0]!);
    const statuses = await Promise.all(
      Array.from({ length: PER_KEY + 10 }, (_, i) => fetch(`${urls()[i % 2]}/get_bots`, { headers: { 'api-key': t.key } }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(PER_KEY);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });

  it('runs a request with an Idempotency-Key once, whichever process gets it and how often', async () => {
    onTestFailed(() => void (failed = true));
    const t: Tenant = await signup(urls()[1]!);
    const idem = `same-${randomBytes(8).toString('hex')}`;
    const create = (url: string) =>
      fetch(`${url}/create_bot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': t.key, 'idempotency-key': idem },
        body: JSON.stringify({ name: 'Once' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { bot_id?: string } }));
    const first = await Promise.all([create(urls()[0]!), create(urls()[1]!)]);
    // Both at once: one runs, the other is told it is under way (409) or gets the same answer.
    expect(first.map((r) => r.status).sort()).toSatisfy((s: number[]) => s[0] === 200 && (s[1] === 200 || s[1] === 409));
    const again = await create(urls()[1]!);
    const again2 = await create(urls()[0]!);
    const ids = new Set([...first, again, again2].filter((r) => r.status === 200).map((r) => r.body.bot_id));
    expect(ids.size).toBe(1);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from bots where account_id = ${t.accountId} and name = 'Once'`.execute(w.database.db);
    expect(rows[0]!.n).toBe(1);
  });
});

