/**
 * The campaign template rules of src/features/campaigns/template.ts, mirrored for the live preview
 * (the dashboard bundle cannot import server code). The server stays the judge: it checks the
 * template again when the campaign is created and its 400 is shown as it words it.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;
const DEFAULT = /^[^{}|]{0,100}$/;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

export interface SampleUser {
  name: string | null;
  attributes: Record<string, string | number | boolean>;
}

/** The placeholders that the server would refuse ({{}}, {{a b}}, unclosed braces). */
export function badPlaceholders(text: string): string[] {
  const bad: string[] = [];
  let rest = '';
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    rest += text.slice(last, m.index);
    last = m.index + m[0].length;
    const bar = m[1]!.indexOf('|');
    const name = (bar < 0 ? m[1]! : m[1]!.slice(0, bar)).trim();
    const fallback = bar < 0 ? null : m[1]!.slice(bar + 1).trim();
    if (!NAME.test(name) || (fallback !== null && !DEFAULT.test(fallback))) bad.push(m[0]);
    rest += ' ';
  }
  rest += text.slice(last);
  if (/\{\{|\}\}/.test(rest)) bad.push('unclosed {{ or stray }}');
  return bad;
}

/** The text one user would get. */
export function renderPreview(text: string, user: SampleUser): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    const bar = m[1]!.indexOf('|');
    const name = (bar < 0 ? m[1]! : m[1]!.slice(0, bar)).trim();
    const fallback = bar < 0 ? null : m[1]!.slice(bar + 1).trim();
    const raw = name === 'name' ? (user.name ?? user.attributes.name) : user.attributes[name];
    const value = raw === undefined || raw === null ? '' : String(raw).trim();
    const chosen = value || (fallback ?? (name === 'name' ? 'there' : ''));
    // An empty substitution takes the space before it along, as the server does.
    out = chosen ? out + chosen : out.replace(/ $/, '');
  }
  return (out + text.slice(last)).trim();
}
