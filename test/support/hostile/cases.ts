import fc from 'fast-check';
import { unsignedCallbackCases } from './callback-cases.js';
import { json, keyArb, type Case } from './case.js';
import { hostileString } from './hostile-values.js';
import { invalidJsonCases } from './json-cases.js';
import type { Operation } from './operations.js';
import { plausibleObject, type Known } from './plausible-values.js';
import { invalidQueryCases, plausibleQuery, withQuery } from './query-cases.js';
import { BOUNDARY, invalidUploadCases, part } from './upload-cases.js';

/** Requests invalid by construction, for the way the operation takes its input. */
export function invalidCases(op: Operation, known: Known): fc.Arbitrary<Case> | null {
  if (op.input === 'json' && op.body) return invalidJsonCases(op, op.body, known);
  if (op.input === 'query') return invalidQueryCases(op, known);
  if (op.input === 'multipart') return invalidUploadCases(op, known);
  if (op.auth === 'callback') return unsignedCallbackCases(op);
  return null;
}

/** Requests that may be valid: hostile values where the schema takes any string. */
export function fuzzCases(op: Operation, known: Known): fc.Arbitrary<Case> | null {
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
  if (op.input === 'query') return fc.tuple(plausibleQuery(op, known), keyArb).map(([q, key]): Case => ({ why: 'hostile values', key, method: 'GET', url: withQuery(op.path, q), headers: {} }));
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

/** The route's body limit plus one byte, as one JSON string member. */
export function oversized(op: Operation, limit: number): Case {
  const payload = `{"x":"${'a'.repeat(limit)}"}`;
  return { why: 'oversized body', key: 'admin', method: 'POST', url: op.path, headers: { 'content-type': op.input === 'raw' ? 'application/x-www-form-urlencoded' : 'application/json' }, payload };
}
