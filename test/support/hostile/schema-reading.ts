import type { Schema } from './operations.js';

export const variants = (s: Schema): Schema[] => [...(s.anyOf ?? []), ...(s.oneOf ?? [])];

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

/** Whether some string fails the schema: a filter for such strings then ends. */
export function canViolate(s: Schema): boolean {
  const alts = variants(s);
  if (s.allOf) return false;
  if (alts.length) return alts.every((a) => { const t = acceptedTypes(a); return t !== 'any' && (!t.has('string') || canViolate(a)); });
  return !!(s.pattern || s.enum || s.maxLength !== undefined || (s.minLength ?? 0) > 0);
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
