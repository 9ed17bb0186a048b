import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import {
  changedTables,
  fingerprinter,
  hostileJson,
  hostileString,
  invalidQueryValueFor,
  invalidValueFor,
  operationsOf,
  plausibleObject,
  plausibleValue,
  queryString,
  type Fingerprint,
  type Known,
  type Operation,
  type Schema,
} from './support/hostile-input.js';

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
const TIMEOUT_MS = 10_000;

type KeyKind = 'admin' | 'conversation' | 'invalid' | 'none';

interface Case {
  why: string;
  key: KeyKind;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

let h: Harness;
let ops: Operation[];
let known: Known;
let keys: Record<KeyKind, string | null>;
let fingerprint: () => Promise<Fingerprint>;

beforeAll(async () => {
  h = await startHarness({}, { role: 'api' });
  const { key } = await h.signup();
  const bot = await h.createBot(key);
  const conv = await h.request('POST', '/create_api_key', { key, body: { name: 'fuzz', scope: 'conversation', bot_ids: [bot.bot_id] } });
  keys = { admin: key, conversation: conv.body.key, invalid: `sk_${'0'.repeat(40)}`, none: null };
  known = { botId: bot.bot_id };
  ops = operationsOf((await h.request('GET', '/openapi.json')).body);
  fingerprint = await fingerprinter(h.database.db);
}, 120_000);
afterAll(async () => h?.close());

const keyArb = fc.constantFrom<KeyKind>('admin', 'admin', 'conversation', 'invalid', 'none');

async function send(c: Case): Promise<Answer> {
  const headers = { ...c.headers };
  const key = keys[c.key];
  if (key) headers['api-key'] = key;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([h.app.inject({ method: c.method, url: c.url, headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) }), timeout]);
    return { status: res.statusCode, body: res.body, headers: res.headers };
  } finally {
    clearTimeout(timer);
  }
}

const show = (c: Case) => {
  const payload = c.payload === undefined ? '' : ` ${String(c.payload).slice(0, 300)}${String(c.payload).length > 300 ? `… (${String(c.payload).length} chars)` : ''}`;
  return `[${c.why}] ${c.key} key: ${c.method} ${c.url.slice(0, 300)} ${JSON.stringify(c.headers)}${payload}`;
};

/** What every answer must be: no 5xx, and the error shape on a 4xx. */
function checkAnswer(c: Case, res: Answer, mustReject: boolean): void {
  const where = `${show(c)}\n→ ${res.status} ${res.body.slice(0, 500)}`;
  expect(res.status, where).toBeLessThan(500);
  if (mustReject) expect(res.status, where).toBeGreaterThanOrEqual(400);
  if (res.status >= 400) {
    let body: any;
    expect(() => (body = JSON.parse(res.body)), where).not.toThrow();
    expect(Object.keys(body), where).toEqual(['error']);
    const { type, code, message, request_id } = body.error;
    for (const v of [type, code, message]) expect(typeof v, where).toBe('string');
    expect(request_id, where).toBe(res.headers['x-request-id']);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests invalid by construction

const MALFORMED_JSON = ['{', '{"a":}', '{"a":1,}', "{'a':1}", '{"a":1}}', 'nul', '[', '{"a":"\\x"}', '{"a":"\\ud800"', '\u0000', '{"a":1e999999}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}'];
const NOT_AN_OBJECT = ['[]', '"text"', '1', 'null', 'true', '[{"a":1}]'];
const OTHER_TYPES: Array<[string, string]> = [
  ['text/plain', 'hello'],
  ['application/x-www-form-urlencoded', 'a=1&b=2'],
  ['application/xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
];

const json = (v: unknown) => JSON.stringify(v);
/** A JSON object text with one extra member whose key JSON.stringify could not give (`__proto__`). */
const withMember = (obj: Record<string, unknown>, key: string, value: unknown) => {
  const rest = json(obj).slice(1);
  return `{${json(key)}:${json(value)}${rest === '}' ? '}' : `,${rest}`}`;
};

/** Leaf properties of a body schema, with the path to reach them through plain nested objects. */
function leafPaths(s: Schema, prefix: string[] = [], depth = 0): Array<{ path: string[]; schema: Schema; parents: Schema[] }> {
  const out: Array<{ path: string[]; schema: Schema; parents: Schema[] }> = [];
  for (const [name, schema] of Object.entries(s.properties ?? {})) {
    out.push({ path: [...prefix, name], schema, parents: [s] });
    if (schema.properties && depth < 2) for (const inner of leafPaths(schema, [...prefix, name], depth + 1)) out.push({ ...inner, parents: [s, ...inner.parents] });
  }
  return out;
}

function setAt(obj: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  let at: Record<string, unknown> = copy;
  for (const part of path.slice(0, -1)) {
    if (!at[part] || typeof at[part] !== 'object' || Array.isArray(at[part])) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
  return copy;
}

function invalidJsonCases(op: Operation, body: Schema): fc.Arbitrary<Case> {
  const base = (why: string, payload: string, contentType = 'application/json') =>
    keyArb.map((key): Case => ({ why, key, method: op.method, url: op.path, headers: { 'content-type': contentType }, payload }));
  const arbs: fc.Arbitrary<Case>[] = [
    fc.constantFrom(...MALFORMED_JSON).chain((p) => base('malformed JSON', p)),
    fc.constantFrom(...NOT_AN_OBJECT).chain((p) => base('not an object', p)),
    fc.constantFrom(...OTHER_TYPES).chain(([t, p]) => base('not JSON', p, t)),
  ];
  const leaves = leafPaths(body).flatMap((leaf) => {
    const bad = invalidValueFor(leaf.schema);
    return bad ? [{ ...leaf, bad }] : [];
  });
  if (leaves.length) {
    arbs.push(
      fc.constantFrom(...leaves).chain((leaf) =>
        fc.tuple(plausibleObject(body, known), leaf.bad, keyArb).map(([obj, value, key]): Case => ({
          why: `invalid ${leaf.path.join('.')}`,
          key,
          method: op.method,
          url: op.path,
          headers: { 'content-type': 'application/json' },
          payload: json(setAt(obj, leaf.path, value)),
        })),
      ),
    );
  }
  const required = body.required ?? [];
  if (required.length) {
    arbs.push(
      fc.tuple(plausibleObject(body, known), fc.constantFrom(...required), keyArb).map(([obj, drop, key]): Case => {
        const rest = { ...obj };
        delete rest[drop];
        return { why: `missing ${drop}`, key, method: op.method, url: op.path, headers: { 'content-type': 'application/json' }, payload: json(rest) };
      }),
    );
  }
  if (body.additionalProperties === false) {
    const names = new Set(Object.keys(body.properties ?? {}));
    const strangeKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', '$gt', '$where', "' or 1=1 --", 'prototype', '\u202e', ''), hostileString).filter((k) => !names.has(k));
    arbs.push(
      fc.tuple(plausibleObject(body, known), strangeKey, hostileJson, keyArb).map(([obj, k, v, key]): Case => ({
        why: `unknown member ${JSON.stringify(k)}`,
        key,
        method: op.method,
        url: op.path,
        headers: { 'content-type': 'application/json' },
        payload: withMember(obj, k, v),
      })),
    );
  }
  return fc.oneof(...arbs);
}

function plausibleQuery(op: Operation): fc.Arbitrary<Record<string, string>> {
  const record: Record<string, fc.Arbitrary<string>> = {};
  for (const p of op.query) record[p.name] = plausibleValue(p.schema, known, p.name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const names = Object.keys(record);
  return names.length ? fc.record(record, { requiredKeys: op.query.filter((p) => p.required).map((p) => p.name) }) : fc.constant({});
}

const withQuery = (path: string, q: Record<string, string>) => (Object.keys(q).length ? `${path}?${queryString(q)}` : path);

function invalidQueryCases(op: Operation): fc.Arbitrary<Case> | null {
  const arbs: fc.Arbitrary<Case>[] = [];
  const params = op.query.flatMap((p) => {
    const bad = invalidQueryValueFor(p.schema);
    return bad ? [{ p, bad }] : [];
  });
  if (params.length) {
    arbs.push(
      fc.constantFrom(...params).chain(({ p, bad }) =>
        fc.tuple(plausibleQuery(op), bad, keyArb).map(([q, v, key]): Case => ({ why: `invalid ${p.name}`, key, method: 'GET', url: withQuery(op.path, { ...q, [p.name]: v }), headers: {} })),
      ),
      // A parameter given twice arrives as an array, which no parameter takes.
      fc.constantFrom(...params).chain(({ p }) =>
        fc.tuple(plausibleQuery(op), hostileString, keyArb).map(([q, v, key]): Case => ({
          why: `${p.name} twice`,
          key,
          method: 'GET',
          url: `${withQuery(op.path, { ...q, [p.name]: v })}&${queryString({ [p.name]: 'again' })}`,
          headers: {},
        })),
      ),
    );
  }
  const required = op.query.filter((p) => p.required);
  if (required.length) {
    arbs.push(
      fc.tuple(plausibleQuery(op), fc.constantFrom(...required), keyArb).map(([q, drop, key]): Case => {
        const rest = { ...q };
        delete rest[drop.name];
        return { why: `missing ${drop.name}`, key, method: 'GET', url: withQuery(op.path, rest), headers: {} };
      }),
    );
  }
  return arbs.length ? fc.oneof(...arbs) : null;
}

const BOUNDARY = 'fuzzboundary';
const part = (name: string, value: string, filename?: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}\r\n${filename !== undefined ? 'Content-Type: text/plain\r\n' : ''}\r\n${value}\r\n`;

function invalidUploadCases(op: Operation): fc.Arbitrary<Case> {
  const multipart = (why: string, body: string, key: KeyKind, contentType = `multipart/form-data; boundary=${BOUNDARY}`): Case => ({
    why,
    key,
    method: 'POST',
    url: op.path,
    headers: { 'content-type': contentType },
    payload: body,
  });
  return fc.oneof(
    keyArb.map((key) => multipart('no file', part('bot_id', known.botId) + `--${BOUNDARY}--\r\n`, key)),
    fc.tuple(hostileString.filter((v) => !/^bot_[0-9a-z]{26}$/.test(v)), hostileString, keyArb).map(([bot, filename, key]) =>
      multipart('invalid bot_id', part('bot_id', bot) + part('file', 'hello', filename) + `--${BOUNDARY}--\r\n`, key),
    ),
    fc.tuple(fc.constantFrom('__proto__', 'constructor', 'bot', '$gt', 'files'), keyArb).map(([field, key]) =>
      multipart(`unknown field ${field}`, part(field, 'x') + part('bot_id', known.botId) + part('file', 'hello', 'a.txt') + `--${BOUNDARY}--\r\n`, key),
    ),
    keyArb.map((key) => multipart('two files', part('bot_id', known.botId) + part('file', 'a', 'a.txt') + part('file', 'b', 'b.txt') + `--${BOUNDARY}--\r\n`, key)),
    keyArb.map((key) => multipart('truncated', part('bot_id', known.botId) + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhal`, key)),
    keyArb.map((key) => multipart('no boundary', part('bot_id', known.botId), key, 'multipart/form-data')),
    keyArb.map((key): Case => ({ why: 'JSON instead of multipart', key, method: 'POST', url: op.path, headers: { 'content-type': 'application/json' }, payload: json({ bot_id: known.botId, file: 'x' }) })),
  );
}

/** Provider callbacks without a valid signature: refused, whatever the body. */
function unsignedCallbackCases(op: Operation): fc.Arbitrary<Case> {
  const signatures = fc.constantFrom<Record<string, string>>(
    {},
    { 'x-twilio-signature': 'AAAA' },
    { 'x-twilio-signature': "' or 1=1 --" },
    { 'stripe-signature': 't=1,v1=00' },
    { 'stripe-signature': 't=,v1=' },
    { authorization: 'Application key:c2ln', 'x-timestamp': new Date().toISOString() },
    { authorization: 'Basic Zm9vOmJhcg==' },
    { authorization: 'Application \u0000:\ud800' },
  );
  const bodies = fc.oneof(
    fc.dictionary(fc.constantFrom('From', 'To', 'Body', 'MessageSid', 'CallSid', 'SpeechResult', '__proto__', 'event', 'type'), hostileString).map((d) => [
      'application/x-www-form-urlencoded',
      queryString(d),
    ] as const),
    hostileJson.map((v) => ['application/json', JSON.stringify(v) ?? 'null'] as const),
    fc.constantFrom(...MALFORMED_JSON).map((p) => ['application/json', p] as const),
    hostileString.map((s) => ['text/plain', s] as const),
  );
  return fc.tuple(signatures, bodies, keyArb).map(([sig, [type, payload], key]): Case => ({
    why: 'unsigned callback',
    key,
    method: 'POST',
    url: op.path,
    headers: { 'content-type': type, ...sig },
    payload,
  }));
}

function invalidCases(op: Operation): fc.Arbitrary<Case> | null {
  if (op.input === 'json' && op.body) return invalidJsonCases(op, op.body);
  if (op.input === 'query') return invalidQueryCases(op);
  if (op.input === 'multipart') return invalidUploadCases(op);
  if (op.auth === 'callback') return unsignedCallbackCases(op);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Requests that may be valid: hostile values where the schema takes any string

function fuzzCases(op: Operation): fc.Arbitrary<Case> | null {
  if (op.input === 'json' && op.body) {
    return fc.tuple(plausibleObject(op.body, known), keyArb).map(([obj, key]): Case => ({
      why: 'hostile values',
      key,
      method: op.method,
      url: op.path,
      headers: { 'content-type': 'application/json' },
      payload: json(obj),
    }));
  }
  if (op.input === 'query') return fc.tuple(plausibleQuery(op), keyArb).map(([q, key]): Case => ({ why: 'hostile values', key, method: 'GET', url: withQuery(op.path, q), headers: {} }));
  if (op.input === 'multipart') {
    return fc.tuple(hostileString, hostileString, keyArb).map(([filename, content, key]): Case => ({
      why: 'hostile file',
      key,
      method: 'POST',
      url: op.path,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      payload: part('bot_id', known.botId) + part('file', content, filename.replace(/["\r\n]/g, '')) + `--${BOUNDARY}--\r\n`,
    }));
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

const fcParams = { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 } as const;

/** The route's body limit plus one byte, as one JSON string member. */
function oversized(op: Operation, limit: number): Case {
  const payload = `{"x":"${'a'.repeat(limit)}"}`;
  return { why: 'oversized body', key: 'admin', method: 'POST', url: op.path, headers: { 'content-type': op.input === 'raw' ? 'application/x-www-form-urlencoded' : 'application/json' }, payload };
}

describe('hostile input on every endpoint of /openapi.json', () => {
  it('walks enough of the API to mean something', async () => {
    expect(ops.length).toBeGreaterThan(100);
    expect(ops.filter((o) => o.auth === 'callback').length).toBeGreaterThan(5);
    // The fingerprint sees a write.
    const before = await fingerprint();
    await h.createBot(keys.admin!);
    expect(changedTables(before, await fingerprint())).toContain('bots');
    // Every operation that takes input gets invalid input.
    expect(ops.filter((o) => invalidCases(o) === null && (o.method === 'POST' || o.query.length > 0)).map((o) => o.path)).toEqual([]);
  });

  it('refuses invalid input with a 4xx and the error shape, and writes nothing', async () => {
    for (const op of ops) {
      const arb = invalidCases(op);
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
      if (changed.length) throw new Error(`${op.method} ${op.path}: refused requests changed ${changed.join(', ')}; culprits: ${(await culprits(sent)).join('\n') || '(not reproduced one by one)'}`);
    }
  }, 600_000);

  it('never fails on hostile values, and a refusal writes nothing', async () => {
    let last = await fingerprint();
    const accepted = new Set<string>();
    for (const op of ops) {
      const arb = fuzzCases(op);
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
    expect(accepted.size).toBeGreaterThan(ops.length / 3);
  }, 600_000);
});

/** The limit a 413 names ("… limit of 256 KB."), in bytes. */
function parseLimit(body: string): number | null {
  const m = /limit of (\d+) (bytes|KB|MB)/.exec(body);
  if (!m) return null;
  return Number(m[1]) * (m[2] === 'MB' ? 1024 * 1024 : m[2] === 'KB' ? 1024 : 1);
}

/** Replays the cases one by one, each between two fingerprints: the ones that still change something. */
async function culprits(cases: Case[]): Promise<string[]> {
  const found: string[] = [];
  for (const c of cases) {
    const before = await fingerprint();
    const res = await send(c);
    const changed = changedTables(before, await fingerprint());
    if (changed.length) found.push(`${show(c)} → ${res.status}, changed ${changed.join(', ')}`);
  }
  return found;
}
