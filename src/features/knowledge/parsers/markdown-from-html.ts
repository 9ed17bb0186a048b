import TurndownService from 'turndown';
import { normaliseText } from './text-decode.js';

/** Elements that carry no readable text for a knowledge base (or carry code and chrome). */
const DROPPED = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'CANVAS', 'IMG', 'PICTURE', 'VIDEO', 'AUDIO', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'HEAD']);

const cellText = (content: string) => content.replace(/\s+/g, ' ').trim();

function createTurndown(): TurndownService {
  const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', hr: '---' });
  service.remove((node) => DROPPED.has(String(node.nodeName).toUpperCase()));
  // Link targets are noise to full-text search; the crawler reads links from the DOM itself.
  service.addRule('linkText', { filter: 'a', replacement: (content) => content });
  // Emphasis markers split words for exact-phrase search and carry nothing a passage needs.
  service.addRule('plainEmphasis', { filter: ['strong', 'b', 'em', 'i', 'u', 'mark'], replacement: (content) => content });
  // Turndown's default makes every table cell a paragraph, which loses which values share a row.
  service.addRule('tableCell', { filter: ['th', 'td'], replacement: (content) => `${cellText(content)} | ` });
  service.addRule('tableRow', { filter: 'tr', replacement: (content) => `\n${content.replace(/\s*\|\s*$/, '')}\n` });
  service.addRule('table', { filter: 'table', replacement: (content) => `\n\n${content.replace(/\n{2,}/g, '\n').trim()}\n\n` });
  // Markdown escaping (\_, \*, 1\.) would leak backslashes into search; only a leading # matters,
  // because the chunker would read it as a heading.
  service.escape = (text: string) => text.replace(/^(\s*)(#{1,6}\s)/gm, '$1\\$2');
  return service;
}

let shared: TurndownService | null = null;

/** HTML (a fragment or a document's body) → Markdown with ATX headings and blank-line paragraphs. */
export function htmlFragmentToMarkdown(html: string): string {
  shared ??= createTurndown();
  return normaliseText(shared.turndown(html));
}
