import fc from 'fast-check';
import { json, keyArb, type Case, type KeyKind } from './case.js';
import { hostileString } from './hostile-values.js';
import type { Operation } from './operations.js';
import type { Known } from './plausible-values.js';

export const BOUNDARY = 'fuzzboundary';
export const part = (name: string, value: string, filename?: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}\r\n${filename !== undefined ? 'Content-Type: text/plain\r\n' : ''}\r\n${value}\r\n`;

export function invalidUploadCases(op: Operation, known: Known): fc.Arbitrary<Case> {
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
