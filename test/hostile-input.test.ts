import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { checkAnswer, culprits, parseLimit, sender, type Send } from './support/hostile/answers.js';
import { show, type Case, type KeyKind } from './support/hostile/case.js';
import { fuzzCases, invalidCases, oversized } from './support/hostile/cases.js';
import { changedTables, fingerprinter, type Fingerprint } from './support/hostile/db-fingerprint.js';
import { operationsOf, type Operation } from './support/hostile/operations.js';
import type { Known } from './support/hostile/plausible-values.js';

/**
 * Walks /openapi.json and sends every operation malformed, oversized, wrongly typed, unicode-edge and
 * injection-shaped input with an admin key, a conversation key, a wrong key and none. Whatever comes
 * in: never a 5xx, never a hang, every 4xx has the error shape, and a refused request changes nothing
 * in the database. Input that is invalid by construction must be refused.
 *
 * Deterministic: a fixed seed (HOSTILE_SEED) and HOSTILE_RUNS cases per operation and pass; a failure
 * prints the seed and the shrunk request, to replay with the same values.
 */
const SEED = Number(process.env.HOSTILE_SEED ?? 90210);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 8);

let h: Harness;
let ops: Operation[];
let known: Known;
let keys: Record<KeyKind, string | null>;
let fingerprint: () => Promise<Fingerprint>;
let send: Send;

beforeAll(async () => {
  h = await startHarness({}, { role: 'api' });
  const { key } = await h.signup();
  const bot = await h.createBot(key);
  const conv = await h.request('POST', '/create_api_key', { key, body: { name: 'fuzz', scope: 'conversation', bot_ids: [bot.bot_id] } });
  keys = { admin: key, conversation: conv.body.key, invalid: `sk_${'0'.repeat(40)}`, none: null };
  known = { botId: bot.bot_id };
  ops = operationsOf((await h.request('GET', '/openapi.json')).body);
  fingerprint = await fingerprinter(h.database.db);
  send = sender(h, keys);
}, 120_000);
afterAll(async () => h?.close());

const fcParams = { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 } as const;

describe('hostile input on every endpoint of /openapi.json', () => {
  it('walks enough of the API to mean something', async () => {
    expect(ops.length).toBeGreaterThan(100);
    expect(ops.filter((o) => o.auth === 'callback').length).toBeGreaterThan(5);
    // The fingerprint sees a write.
    const before = await fingerprint();
    await h.createBot(keys.admin!);
    expect(changedTables(before, await fingerprint())).toContain('bots');
    // Every operation that takes input gets invalid input.
    expect(ops.filter((o) => invalidCases(o, known) === null && (o.method === 'POST' || o.query.length > 0)).map((o) => o.path)).toEqual([]);
  });

  it('refuses invalid input with a 4xx and the error shape, and writes nothing', async () => {
    for (const op of ops) {
      const arb = invalidCases(op, known);
      if (!arb) continue;
      const sent: Case[] = [];
      const before = await fingerprint();
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          sent.push(c);
          checkAnswer(c, await send(c), true);
        }),
        fcParams,
      );
      if (op.method === 'POST') {
        // A declared length over any limit is refused before a byte is read; the refusal names the
        // route's limit, which a real body one byte over must meet too.
        const declared: Case = { why: 'declared oversized body', key: 'admin', method: 'POST', url: op.path, headers: { 'content-type': 'application/json', 'content-length': String(2 ** 40) }, payload: '{}' };
        sent.push(declared);
        const refusal = await send(declared);
        checkAnswer(declared, refusal, true);
        const limit = parseLimit(refusal.body);
        if (op.input !== 'multipart') expect(refusal.status, `${show(declared)} → ${refusal.body}`).toBe(413);
        if (limit && limit <= 8 * 1024 * 1024) {
          const c = oversized(op, limit);
          sent.push(c);
          const res = await send(c);
          checkAnswer(c, res, true);
          expect(res.status, show(c)).toBe(413);
        }
      }
      const after = await fingerprint();
      const changed = changedTables(before, after);
      if (changed.length) throw new Error(`${op.method} ${op.path}: refused requests changed ${changed.join(', ')}; culprits: ${(await culprits(sent, send, fingerprint)).join('\n') || '(not reproduced one by one)'}`);
    }
  }, 600_000);

  it('never fails on hostile values, and a refusal writes nothing', async () => {
    let last = await fingerprint();
    const accepted = new Set<string>();
    for (const op of ops) {
      const arb = fuzzCases(op, known);
      if (!arb) continue;
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          const res = await send(c);
          checkAnswer(c, res, false);
          const now = await fingerprint();
          if (res.status < 300) accepted.add(`${op.method} ${op.path}`);
          if (res.status >= 400) {
            const changed = changedTables(last, now);
            expect(changed, `${show(c)}\n→ ${res.status} ${res.body.slice(0, 300)}\nrefused, yet changed the database`).toEqual([]);
          }
          last = now;
        }),
        fcParams,
      );
      if (process.env.HOSTILE_VERBOSE) console.log(`${op.method} ${op.path}: ${Date.now() - started} ms`);
    }
    // Hostile values got past validation into the services, not only into the schema's refusals.
    expect(accepted.size).toBeGreaterThan(10);
  }, 600_000);
});
