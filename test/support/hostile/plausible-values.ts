import fc from 'fast-check';
import { hostileJson, hostileString } from './hostile-values.js';
import type { Schema } from './operations.js';
import { variants } from './schema-reading.js';

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
