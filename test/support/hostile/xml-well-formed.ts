/**
 * A strict well-formedness check of an XML 1.0 document, for the TwiML a server answers Twilio with
 * (a parser that forgives, as HTML parsers do, would hide what Twilio refuses): legal characters
 * only, one root element, tags that nest and close, quoted attributes without `<` or duplicates, and
 * only the predefined or numeric entity references, to legal characters. No DTD is expected.
 * Returns the root element's name, or what is wrong and where.
 */

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const SPACE = /[ \t\r\n]*/y;
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/y;

const legal = (cp: number) => cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

export function xmlRoot(text: string): { root: string } | { problem: string } {
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    // A lone surrogate reads as itself (0xd800–0xdfff), which `legal` refuses.
    if (!legal(cp)) return { problem: `character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at ${i} is not allowed in XML` };
  }
  let i = 0;
  const at = (re: RegExp) => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i += m[0].length;
    return m;
  };
  const references = (chunk: string, where: number): string | null => {
    for (let k = chunk.indexOf('&'); k >= 0; k = chunk.indexOf('&', k + 1)) {
      REFERENCE.lastIndex = k;
      const m = REFERENCE.exec(chunk);
      if (!m) return `a bare & at ${where + k}`;
      const cp = m[2] ? Number(m[2]) : m[3] ? parseInt(m[3], 16) : null;
      if (cp !== null && !legal(cp)) return `a reference to an illegal character (${m[0]}) at ${where + k}`;
    }
    return null;
  };

  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) return { problem: 'the XML declaration does not end' };
    i = end + 2;
  }
  const open: string[] = [];
  let root: string | null = null;
  while (i < text.length) {
    if (text[i] !== '<') {
      const next = text.indexOf('<', i);
      const chunk = text.slice(i, next < 0 ? text.length : next);
      if (!open.length && chunk.trim()) return { problem: `text outside the root element at ${i}` };
      if (chunk.includes(']]>')) return { problem: `"]]>" in text at ${i}` };
      const bad = references(chunk, i);
      if (bad) return { problem: bad };
      i = next < 0 ? text.length : next;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0 || text.slice(i + 4, end).includes('--')) return { problem: `a broken comment at ${i}` };
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (!open.length || end < 0) return { problem: `a CDATA section outside the root or unterminated at ${i}` };
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) return { problem: `an unterminated processing instruction at ${i}` };
      i = end + 2;
      continue;
    }
    if (text[i + 1] === '/') {
      i += 2;
      const name = at(NAME)?.[0];
      at(SPACE);
      if (!name || text[i] !== '>') return { problem: `a broken end tag at ${i}` };
      const expected = open.pop();
      if (expected !== name) return { problem: `</${name}> closes <${expected ?? 'nothing'}> at ${i}` };
      i++;
      continue;
    }
    i++;
    const name = at(NAME)?.[0];
    if (!name) return { problem: `a "<" that starts no tag at ${i - 1}` };
    if (root !== null && !open.length) return { problem: `a second root element <${name}> at ${i}` };
    root ??= name;
    const attributes = new Set<string>();
    for (;;) {
      const spaced = at(SPACE)![0].length > 0;
      if (text[i] === '>') {
        open.push(name);
        i++;
        break;
      }
      if (text.startsWith('/>', i)) {
        i += 2;
        break;
      }
      const attribute = spaced ? at(NAME)?.[0] : undefined;
      if (!attribute) return { problem: `a broken attribute in <${name}> at ${i}` };
      if (attributes.has(attribute)) return { problem: `the attribute ${attribute} twice in <${name}>` };
      attributes.add(attribute);
      at(SPACE);
      if (text[i] !== '=') return { problem: `the attribute ${attribute} has no value at ${i}` };
      i++;
      at(SPACE);
      const quote = text[i];
      const end = quote === '"' || quote === "'" ? text.indexOf(quote, i + 1) : -1;
      if (end < 0) return { problem: `the attribute ${attribute} is not quoted at ${i}` };
      const value = text.slice(i + 1, end);
      if (value.includes('<')) return { problem: `a "<" in the attribute ${attribute} at ${i}` };
      const bad = references(value, i + 1);
      if (bad) return { problem: bad };
      i = end + 1;
    }
  }
  if (open.length) return { problem: `<${open.at(-1)}> is never closed` };
  if (root === null) return { problem: 'no root element' };
  return { root };
}
