import fc from 'fast-check';
import { hostileString } from './hostile-values.js';
import type { Schema } from './operations.js';
import { acceptedTypes, canViolate, numberStringViolates, stringViolates, variants } from './schema-reading.js';

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
    // Filtering only where a hostile string can fail: a filter nothing passes never ends.
    if (s.pattern || s.enum || (s.minLength ?? 0) > 0) options.push(hostileString.filter((v) => stringViolates(s, v)));
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
  if (types.has('string') && types.size === 1 && canViolate(s)) {
    return candidates.filter((v) => stringViolates(s, v));
  }
  return null;
}
