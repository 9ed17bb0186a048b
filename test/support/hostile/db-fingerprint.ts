import { sql } from 'kysely';
import type { Database } from '../../../src/db/database.js';

/**
 * Tables and columns a rejected request may legitimately change, and why.
 * - rate_limit_counters: failed logins are counted whatever RATE_LIMITS says (the login throttle), and key
 *   guessing counts against the caller's IP: counting refused requests is their purpose.
 * - idempotency_keys: a 4xx answer to a request with an Idempotency-Key is stored so its retry gets
 *   the same answer (API.md: "returns the first response").
 * - api_keys.last_used_at: an authenticated request records that its key was used, whatever its input.
 */
export const LEGITIMATE_CHANGES = {
  tables: new Set(['rate_limit_counters', 'idempotency_keys']),
  columns: { api_keys: ['last_used_at'] } as Record<string, string[]>,
};

export type Fingerprint = Map<string, string>;

/** One query that fingerprints every app table (row count and an order-independent content hash). */
export async function fingerprinter(db: Database): Promise<() => Promise<Fingerprint>> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const tables = rows.map((r) => r.table_name).filter((t) => !LEGITIMATE_CHANGES.tables.has(t) && !t.startsWith('kysely_'));
  const parts = tables.map((t) => {
    const dropped = (LEGITIMATE_CHANGES.columns[t] ?? []).map((c) => ` - '${c}'`).join('');
    return `select '${t}' as t, count(*)::text || ':' || coalesce(sum(hashtextextended((to_jsonb(x)${dropped})::text, 0)), 0)::text as f from "${t}" x`;
  });
  const query = sql.raw<{ t: string; f: string }>(parts.join(' union all '));
  return async () => new Map((await query.execute(db)).rows.map((r) => [r.t, r.f]));
}

export function changedTables(a: Fingerprint, b: Fingerprint): string[] {
  return [...a.keys()].filter((t) => a.get(t) !== b.get(t));
}
