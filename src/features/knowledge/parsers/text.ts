import { normaliseText } from './text-decode.js';

/** The first heading of a Markdown text: an ATX "# Title" line or a setext "Title\n=====". */
function markdownTitle(markdown: string): string | null {
  const atx = markdown.match(/^#{1,6}[ \t]+(.+?)[ \t#]*$/m)?.[1];
  const setext = markdown.match(/^(\S.*)\n=+[ \t]*$/m)?.[1];
  const first = [atx, setext].filter((title): title is string => Boolean(title)).sort((a, b) => markdown.indexOf(a) - markdown.indexOf(b))[0];
  return first?.trim() || null;
}

/** Plain text and Markdown are already what the chunker reads; only newlines and noise are normalised. */
export function extractPlainText(text: string, type: 'txt' | 'md'): { title: string | null; markdown: string } {
  const markdown = normaliseText(text);
  return { title: type === 'md' ? markdownTitle(markdown) : null, markdown };
}
