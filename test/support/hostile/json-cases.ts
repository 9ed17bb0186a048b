import fc from 'fast-check';
import { json, keyArb, type Case } from './case.js';
import { hostileJson, hostileString } from './hostile-values.js';
import { invalidValueFor } from './invalid-values.js';
import type { Operation, Schema } from './operations.js';
import { plausibleObject, type Known } from './plausible-values.js';
import { acceptedTypes } from './schema-reading.js';

export const MALFORMED_JSON = ['{', '{"a":}', '{"a":1,}', "{'a':1}", '{"a":1}}', 'nul', '[', '{"a":"\\x"}', '{"a":"\\ud800"', '\u0000', '{"a":1e999999}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}'];
const NOT_AN_OBJECT = ['[]', '"text"', '1', 'null', 'true', '[{"a":1}]'];
const OTHER_TYPES: Array<[string, string]> = [
  ['text/plain', 'hello'],
  ['application/x-www-form-urlencoded', 'a=1&b=2'],
  ['application/xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
];

/** A JSON object text with one extra member whose key JSON.stringify could not give (`__proto__`). */
export const withMember = (obj: Record<string, unknown>, key: string, value: unknown) => {
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

function takesNull(s: Schema): boolean {
  const t = acceptedTypes(s);
  return t === 'any' || t.has('null');
}

export function invalidJsonCases(op: Operation, body: Schema, known: Known): fc.Arbitrary<Case> {
  const base = (why: string, payload: string, contentType = 'application/json') =>
    keyArb.map((key): Case => ({ why, key, method: op.method, url: op.path, headers: { 'content-type': contentType }, payload }));
  const arbs: fc.Arbitrary<Case>[] = [
    fc.constantFrom(...MALFORMED_JSON).chain((p) => base('malformed JSON', p)),
    // A body that may be left out may be null (send_test_notification).
    fc.constantFrom(...NOT_AN_OBJECT.filter((p) => p !== 'null' || !takesNull(body))).chain((p) => base('not an object', p)),
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
