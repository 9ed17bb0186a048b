import fc from 'fast-check';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';

/** A JSON schema as /openapi.json gives it (the parts this file reads). */
export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: unknown;
}

export type AuthMode = 'none' | 'admin' | 'conversation' | 'callback';

export interface Operation {
  method: 'GET' | 'POST';
  path: string;
  auth: AuthMode;
  /** How the request carries its input. */
  input: 'query' | 'json' | 'multipart' | 'raw';
  query: Array<{ name: string; required: boolean; schema: Schema }>;
  body: Schema | null;
}

/** Every operation of the OpenAPI document; provider callbacks (no security at all) take raw bodies. */
export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const security: Array<Record<string, unknown>> | undefined = op.security;
      const auth: AuthMode =
        security === undefined ? (path.startsWith('/webhooks/') ? 'callback' : 'none') : security.length === 0 ? 'none' : security.some((s) => 'apiKeyParam' in s) ? 'conversation' : 'admin';
      const json = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
      const input = method === 'get' ? 'query' : json ? 'json' : path === '/upload' ? 'multipart' : 'raw';
      ops.push({
        method: method.toUpperCase() as 'GET' | 'POST',
        path,
        auth,
        input,
        query: (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => ({ name: p.name, required: !!p.required, schema: p.schema ?? {} })),
        body: json ?? null,
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Hostile values

export const INJECTIONS = [
  "' or 1=1 --",
  "'; drop table bots; --",
  '" or ""="',
  "1' union select password_hash from accounts --",
  '%00',
  '%',
  '%zz',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{"$gt":""}',
  '$where',
  '__proto__',
  'constructor',
  'prototype',
  '${7*7}',
  '{{7*7}}',
  '{{constructor.constructor("return process")()}}',
  '%s%s%s%n',
  '\\',
  '\\u0000',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-0',
  '9223372036854775808',
  '0x7fffffff',
  '\r\nx-injected: 1',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  'http://127.0.0.1:22/',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '+999999999999999999999',
  'bot_00000000000000000000000000',
  'conv_00000000000000000000000000',
  'sk_live_00000000000000000000',
  '*',
  '.*',
  '(a+)+$',
  ' ',
  '',
];

export const UNICODE_EDGES = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\u202eevil\u202c',
  '\u200b\u200c\u200d\u2060',
  '\ufeffbom',
  '\u2028\u2029',
  '\uffff\ufffe',
  '\u{10ffff}',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  'e' + '\u0301'.repeat(300),
  'Z\u0335\u0321\u0322\u031b'.repeat(40),
  'ｆｕｌｌ\u3000ｗｉｄｔｈ',
  '中文テキスト한국어',
  'مرحبا بالعالم',
  '\u0007\u0008\u001b[31m',
];

/** A string a careless server would trip on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 4, arbitrary: fc.constantFrom(...UNICODE_EDGES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...INJECTIONS, ...UNICODE_EDGES), fc.constantFrom(...INJECTIONS, ...UNICODE_EDGES)).map(([a, b]) => a + b),
  },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(5000), '🙂'.repeat(3000), 'é'.repeat(70_000)) },
);

/** Any JSON value, hostile strings included. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 63, Number.MIN_VALUE, [], {}, { $gt: '' }, { $ne: null }, [null], [[[]]]),
  fc.integer(),
  fc.array(hostileString, { maxLength: 3 }),
);

// ---------------------------------------------------------------------------------------------
// Schema reading

const variants = (s: Schema): Schema[] => [...(s.anyOf ?? []), ...(s.oneOf ?? [])];

/** The JSON types a schema accepts ('any' when it says nothing checkable). */
export function acceptedTypes(s: Schema): Set<string> | 'any' {
  if (s.allOf) return 'any';
  const alts = variants(s);
  if (alts.length) {
    const all = new Set<string>();
    for (const a of alts) {
      const t = acceptedTypes(a);
      if (t === 'any') return 'any';
      for (const x of t) all.add(x);
    }
    return all;
  }
  if (s.enum || s.const !== undefined) return new Set((s.enum ?? [s.const]).map(jsonType));
  if (!s.type) return 'any';
  const types = new Set([s.type].flat());
  if (types.has('integer')) types.add('number');
  return types;
}

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? 'number' : typeof v;
}

const SAMPLES: Record<string, unknown[]> = {
  string: ['text', "' or 1=1 --", '\u202e'],
  number: [0, -1, 1e308, 3.5],
  boolean: [true, false],
  null: [null],
  array: [[], ['x'], [{ $gt: '' }]],
  object: [{}, { $gt: '' }, { __proto__x: 1 }],
};

/** A value of a JSON type the schema does not accept, or null when it accepts them all. */
export function wrongTypeFor(s: Schema): fc.Arbitrary<unknown> | null {
  const ok = acceptedTypes(s);
  if (ok === 'any') return null;
  const wrong = Object.entries(SAMPLES)
    .filter(([t]) => !ok.has(t))
    .flatMap(([, values]) => values);
  return wrong.length ? fc.constantFrom(...wrong) : null;
}

const codeUnits = (v: string) => v.length;

/**
 * Whether a string certainly fails a string schema (a plain string schema without alternatives):
 * outside the length bounds, off the pattern, or not in the enum. Lengths count UTF-16 code units,
 * as zod does.
 */
export function stringViolates(s: Schema, v: string): boolean {
  if (variants(s).length || s.allOf) return variants(s).every((a) => acceptedTypes(a) !== 'any' && (!(acceptedTypes(a) as Set<string>).has('string') || stringViolates(a, v)));
  if (s.enum) return !s.enum.includes(v);
  if (s.maxLength !== undefined && codeUnits(v) > s.maxLength) return true;
  if (s.minLength !== undefined && codeUnits(v) < s.minLength) return true;
  if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) return true;
  return false;
}

/** Whether a query string certainly fails a number schema once coerced the way zod does (Number(v)). */
export function numberStringViolates(s: Schema, v: string): boolean {
  const n = Number(v);
  if (!Number.isFinite(n)) return true;
  const integer = [s.type].flat().includes('integer');
  if (integer && !Number.isInteger(n)) return true;
  if (s.minimum !== undefined && n < s.minimum) return true;
  if (s.maximum !== undefined && n > s.maximum) return true;
  return false;
}

/** Values certainly invalid for a leaf schema: wrong type, too long, off-pattern, out of range. */
export function invalidValueFor(s: Schema): fc.Arbitrary<unknown> | null {
  const options: fc.Arbitrary<unknown>[] = [];
  const wrong = wrongTypeFor(s);
  if (wrong) options.push(wrong);
  const types = acceptedTypes(s);
  const plain = !variants(s).length && !s.allOf;
  if (plain && types !== 'any' && types.size === 1 && types.has('string')) {
    if (s.maxLength !== undefined) {
      const max = s.maxLength;
      options.push(fc.tuple(fc.constantFrom('x', 'é', '🙂', '\u0000', '\u202e', "'"), fc.integer({ min: 1, max: 2000 })).map(([c, extra]) => c.repeat(Math.ceil((max + extra) / c.length))));
    }
    options.push(hostileString.filter((v) => stringViolates(s, v)));
  }
  if (plain && types !== 'any' && types.has('number') && !types.has('string')) {
    const out: number[] = [1e308, -1e308, 2 ** 63];
    if (s.maximum !== undefined) out.push(s.maximum + 1, s.maximum + 1e9);
    if (s.minimum !== undefined) out.push(s.minimum - 1, s.minimum - 1e9);
    if ([s.type].flat().includes('integer')) out.push(0.5, 1.000001);
    const filtered = out.filter((n) => (s.maximum !== undefined && n > s.maximum) || (s.minimum !== undefined && n < s.minimum) || ([s.type].flat().includes('integer') && !Number.isInteger(n)));
    if (filtered.length) options.push(fc.constantFrom(...filtered));
  }
  if (plain && types !== 'any' && types.size === 1 && types.has('array') && s.maxItems !== undefined && s.maxItems <= 20_000) {
    const n = s.maxItems + 1;
    options.push(fc.constant(Array.from({ length: n }, () => 0)));
  }
  return options.length ? fc.oneof(...options) : null;
}

/** Invalid query-string values for a parameter (query values are always strings). */
export function invalidQueryValueFor(s: Schema): fc.Arbitrary<string> | null {
  const types = acceptedTypes(s);
  if (types === 'any') return null;
  const candidates = fc.oneof(
    hostileString,
    fc.constantFrom('abc', 'NaN', 'Infinity', '1e400', '0.5', '-1', '0', '201', '99999999999999999999', 'true', 'null', '[]', '{}'),
    ...(s.maxLength !== undefined ? [fc.constant('q'.repeat(s.maxLength + 1))] : []),
  );
  if (types.has('number')) return candidates.filter((v) => numberStringViolates(s, v));
  if (types.has('string') && types.size === 1) return candidates.filter((v) => stringViolates(s, v));
  return null;
}

/** Known values to use for the parameters that name the caller's objects, so requests reach the services. */
export interface Known {
  botId: string;
}

const ID_NAMES = new Set(['bot_id', 'creator', 'bot', 'model']);

/**
 * A value the schema may well accept, with hostile strings mixed in: deep enough to reach the
 * services, hostile enough to find what they do not expect. Its validity is unknown.
 */
export function plausibleValue(s: Schema, known: Known, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (ID_NAMES.has(name)) return fc.oneof({ weight: 4, arbitrary: fc.constant(known.botId) }, { weight: 1, arbitrary: hostileString });
  const alts = variants(s);
  if (alts.length) return fc.oneof(...alts.map((a) => plausibleValue(a, known, name, depth)));
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  const type = [s.type].flat()[0];
  switch (type) {
    case 'string': {
      let valid: fc.Arbitrary<string>;
      if (s.format === 'date-time') valid = fc.constantFrom(new Date(Date.now() + 3_600_000).toISOString(), '2024-01-01T00:00:00Z');
      else if (s.format === 'email') valid = fc.constant('fuzz@example.com');
      else if (s.format === 'uri') valid = fc.constantFrom('https://example.com/a', 'http://127.0.0.1/');
      else if (s.pattern) valid = fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 500) && v.length >= (s.minLength ?? 0));
      else valid = fc.string({ minLength: Math.max(1, s.minLength ?? 0), maxLength: Math.max(1, Math.min(s.maxLength ?? 30, 30)) });
      // Hostile strings that still fit the length bounds keep the request valid where no pattern applies.
      const fitting = hostileString.filter((v) => v.length <= (s.maxLength ?? Infinity) && v.length >= (s.minLength ?? 0));
      return fc.oneof({ weight: 1, arbitrary: valid }, { weight: s.pattern ? 1 : 3, arbitrary: fitting });
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? -1e6;
      const max = s.maximum ?? 1e6;
      return fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.constantFrom(min, max));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4 || !s.items) return fc.constant([]);
      const minLength = s.minItems ?? 0;
      return fc.array(plausibleValue(s.items, known, '', depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(s.maxItems ?? 3, 3)) });
    }
    case 'object': {
      if (depth > 4) return fc.constant({});
      return plausibleObject(s, known, depth + 1);
    }
    default:
      return hostileJson;
  }
}

export function plausibleObject(s: Schema, known: Known, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, schema] of Object.entries(props)) record[name] = plausibleValue(schema, known, name, depth);
  const names = Object.keys(record);
  const base = names.length ? fc.record(record, { requiredKeys: names.filter((n) => required.has(n)) }) : fc.constant({});
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    const key = s.propertyNames?.pattern ? fc.stringMatching(new RegExp(s.propertyNames.pattern)) : fc.string({ maxLength: 10 });
    return fc.tuple(base, fc.dictionary(key, plausibleValue(s.additionalProperties, known, '', depth), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a }));
  }
  return base as fc.Arbitrary<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Percent-encodes every UTF-16 code point as UTF-8 bytes, lone surrogates included (WTF-8): what a hostile client can send. */
export function encodeQueryComponent(v: string): string {
  let out = '';
  for (const ch of v) {
    const cp = ch.codePointAt(0)!;
    if (/^[A-Za-z0-9_.~-]$/.test(ch)) {
      out += ch;
      continue;
    }
    const bytes =
      cp < 0x80 ? [cp] : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)] : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)] : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    out += bytes.map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  return out;
}

export const queryString = (params: Record<string, string>) =>
  Object.entries(params)
    .map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`)
    .join('&');

// ---------------------------------------------------------------------------------------------
// Database fingerprint

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
