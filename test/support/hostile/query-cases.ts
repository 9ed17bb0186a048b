import fc from 'fast-check';
import { keyArb, type Case } from './case.js';
import { hostileString } from './hostile-values.js';
import { invalidQueryValueFor } from './invalid-values.js';
import type { Operation } from './operations.js';
import { plausibleValue, type Known } from './plausible-values.js';
import { queryString } from './query-string.js';

export function plausibleQuery(op: Operation, known: Known): fc.Arbitrary<Record<string, string>> {
  const record: Record<string, fc.Arbitrary<string>> = {};
  for (const p of op.query) record[p.name] = plausibleValue(p.schema, known, p.name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const names = Object.keys(record);
  return names.length ? fc.record(record, { requiredKeys: op.query.filter((p) => p.required).map((p) => p.name) }) : fc.constant({});
}

export const withQuery = (path: string, q: Record<string, string>) => (Object.keys(q).length ? `${path}?${queryString(q)}` : path);

export function invalidQueryCases(op: Operation, known: Known): fc.Arbitrary<Case> | null {
  const arbs: fc.Arbitrary<Case>[] = [];
  const params = op.query.flatMap((p) => {
    const bad = invalidQueryValueFor(p.schema);
    return bad ? [{ p, bad }] : [];
  });
  if (params.length) {
    arbs.push(
      fc.constantFrom(...params).chain(({ p, bad }) =>
        fc.tuple(plausibleQuery(op, known), bad, keyArb).map(([q, v, key]): Case => ({ why: `invalid ${p.name}`, key, method: 'GET', url: withQuery(op.path, { ...q, [p.name]: v }), headers: {} })),
      ),
      // A parameter given twice arrives as an array, which no parameter takes.
      fc.constantFrom(...params).chain(({ p }) =>
        fc.tuple(plausibleQuery(op, known), hostileString, keyArb).map(([q, v, key]): Case => ({
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
      fc.tuple(plausibleQuery(op, known), fc.constantFrom(...required), keyArb).map(([q, drop, key]): Case => {
        const rest = { ...q };
        delete rest[drop.name];
        return { why: `missing ${drop.name}`, key, method: 'GET', url: withQuery(op.path, rest), headers: {} };
      }),
    );
  }
  return arbs.length ? fc.oneof(...arbs) : null;
}
