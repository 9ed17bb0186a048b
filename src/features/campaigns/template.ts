import { invalid } from '../../core/errors.js';

/**
 * Campaign message templates: `{{name}}` (the end user's name), `{{attribute}}` (one of their
 * attributes, e.g. `{{city}}`), each optionally with a default: `{{name|friend}}`. A value the user
 * lacks becomes the default, else "there" for `name` ("Hi {{name}}!" → "Hi there!"), else nothing.
 * A text never goes out with a raw `{{…}}` in it: templates are checked when the campaign is created.
 */

/** The same rule as end users' attribute names (features/users/schemas.ts), so every attribute can be named. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;
const DEFAULT = /^[^{}|]{0,100}$/;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

const NAME_FALLBACK = 'there';

type Part = string | { name: string; fallback: string | null };
export interface Template {
  parts: Part[];
}

export interface TemplateUser {
  name: string | null;
  attributes: Record<string, unknown>;
}

/** Parses a template, or throws a 400 on `param` that names every bad placeholder. */
export function parseTemplate(text: string, param = 'message'): Template {
  const parts: Part[] = [];
  const bad: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const bar = m[1]!.indexOf('|');
    const name = (bar < 0 ? m[1]! : m[1]!.slice(0, bar)).trim();
    const fallback = bar < 0 ? null : m[1]!.slice(bar + 1).trim();
    if (!NAME.test(name) || (fallback !== null && !DEFAULT.test(fallback))) bad.push(m[0]);
    else parts.push({ name, fallback });
  }
  parts.push(text.slice(last));
  // Braces left over are placeholders that never closed (`{{name`) or were nested (`{{a{{b}}}}`).
  for (const piece of parts) if (typeof piece === 'string') bad.push(...strays(piece));
  if (bad.length) {
    throw invalid(param, `${param} has invalid placeholders: ${bad.join(', ')}. Use {{name}}, {{attribute}} or {{attribute|default}} (attribute names are letters, digits and _).`, 'invalid_template');
  }
  return { parts: parts.filter((p) => p !== '') };
}

/** Each `{{` up to its `}}` (or the next `{{`, or the end), and any `}}` that closes nothing; cut to 40 characters. */
function strays(piece: string): string[] {
  const found = piece.match(/\{\{(?:(?!\{\{)[^])*?(?:\}\}|(?=\{\{)|$)|\}\}/g) ?? [];
  return found.map((f) => (f.length > 40 ? `${f.slice(0, 40)}…` : f).trim());
}

function valueOf(user: TemplateUser, name: string): string {
  const raw = name === 'name' ? (user.name ?? user.attributes.name) : user.attributes[name];
  return typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw).trim() : '';
}

/** The text for one user. An empty substitution takes the space before it along ("Your code is {{code}}." → "Your code is."). */
export function renderTemplate(template: Template, user: TemplateUser): string {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = valueOf(user, part.name) || (part.fallback ?? (part.name === 'name' ? NAME_FALLBACK : ''));
    out = value ? out + value : out.replace(/ $/, '');
  }
  return out.trim();
}

