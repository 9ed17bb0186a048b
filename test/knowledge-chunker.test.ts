import { describe, expect, it } from 'vitest';
import { chunkMarkdown, CHUNK_MAX_TOKENS, CHUNK_OVERLAP_TOKENS, splitSentences } from '../src/features/knowledge/chunker.js';
import { countTokens } from '../src/engine/history.js';

const sentence = (i: number) => `Sentence number ${i} tells of the harbour, the ferries and the lighthouse keeper who waves at dawn.`;
const paragraph = (from: number, n: number) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

describe('chunkMarkdown', () => {
  it('keeps passages within 500 tokens, mostly above 300, in order, with their heading path', () => {
    const md = ['# Guide', '', paragraph(0, 10), '', '## Ferries', '', paragraph(10, 40), '', paragraph(50, 40), '', '### Night boats', '', paragraph(90, 30)].join('\n');
    const chunks = chunkMarkdown(md);
    expect(chunks.length).toBeGreaterThan(3);
    chunks.forEach((c, i) => expect(c.position).toBe(i));
    for (const c of chunks) {
      expect(c.tokens).toBe(countTokens(c.content));
      expect(c.tokens).toBeLessThanOrEqual(CHUNK_MAX_TOKENS + 60); // a passage plus its carried overlap
    }
    expect(chunks.slice(0, -1).filter((c) => c.tokens < 300).length).toBeLessThanOrEqual(2);
    expect(chunks[0]!.heading).toBe('Guide');
    expect(chunks.some((c) => c.heading === 'Guide > Ferries')).toBe(true);
    expect(chunks.at(-1)!.heading).toBe('Guide > Ferries > Night boats');
    // Every sentence survives, and no word is cut.
    const all = chunks.map((c) => c.content).join(' ');
    for (let i = 0; i < 120; i++) expect(all).toContain(sentence(i));
  });

  it('repeats the end of a passage cut for size at the start of the next', () => {
    const chunks = chunkMarkdown(paragraph(0, 80));
    expect(chunks.length).toBeGreaterThan(1);
    const lastOfFirst = splitSentences(chunks[0]!.content).at(-1)!;
    expect(chunks[1]!.content.startsWith(lastOfFirst)).toBe(true);
  });

  it('splits a giant sentence between words, never inside one', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`);
    const chunks = chunkMarkdown(words.join(' '));
    expect(chunks.length).toBeGreaterThan(1);
    const seen = chunks.flatMap((c) => c.content.split(/\s+/));
    for (const w of seen) expect(w).toMatch(/^word\d+$/);
    expect(new Set(seen)).toEqual(new Set(words));
  });

  it('gives short documents one passage and empty ones none', () => {
    expect(chunkMarkdown('# Title\n\nOne fact.')).toEqual([{ position: 0, heading: 'Title', content: '# Title\n\nOne fact.', tokens: countTokens('# Title\n\nOne fact.') }]);
    expect(chunkMarkdown('  \n\n ')).toEqual([]);
  });

  it('stores the exact token count of each passage, whatever ends and starts the pieces it joins', () => {
    // Deterministic text mixing what tokenizes differently at a join: endings in letters, digits, runs of
    // punctuation, non-ASCII and emoji; paragraphs starting with a slash; hard-wrapped lines; headings;
    // lists; long paragraphs (split into sentences) and a giant sentence (split into words).
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const words = ['harbour', 'ferry', 'the', 'of', 'lighthouse', 'keeper', 'dawn', 'café', 'naïve', 'Zürich', '東京', '2024', 'x7', 'rebattery', 'co-op', 'e.g.', '"quoted"', '(aside)', '🙂', 'URL/path'];
    const endings = ['.', '!', '?', '."', ').', '...', ':', ';', '', ' 42', ' ü', ' 🙂', '.)'];
    const sentenceOf = (n: number) => Array.from({ length: n }, () => pick(words)).join(' ').replace(/^./, (c) => c.toUpperCase()) + pick(endings);
    const paragraphOf = (n: number, wrap: boolean) => {
      const text = Array.from({ length: n }, () => sentenceOf(3 + Math.floor(rand() * 20))).join(pick([' ', ' ', '  ', ' \n']));
      return wrap ? text.replace(/(.{1,60})(\s+|$)/g, '$1\n').trimEnd() : text;
    };
    const parts: string[] = [];
    for (let i = 0; i < 400; i++) {
      const roll = rand();
      if (roll < 0.08) parts.push(`${'#'.repeat(1 + Math.floor(rand() * 3))} ${sentenceOf(3)}`);
      else if (roll < 0.13) parts.push(Array.from({ length: 4 }, () => `- ${sentenceOf(5)}`).join('\n'));
      else if (roll < 0.17) parts.push(`/${pick(['etc/hosts', '/comment', 'path'])} ${paragraphOf(2, false)}`);
      else if (roll < 0.2) parts.push(paragraphOf(40, rand() < 0.5));
      else parts.push(paragraphOf(1 + Math.floor(rand() * 8), rand() < 0.3));
    }
    parts.splice(200, 0, Array.from({ length: 1500 }, (_, i) => pick(['harbour', 'w' + i, 'dawn', 'Zürich'])).join(' '));
    const chunks = chunkMarkdown(parts.join('\n\n'));
    expect(chunks.length).toBeGreaterThan(50);
    for (const c of chunks) {
      expect(c.tokens).toBe(countTokens(c.content));
      expect(c.tokens).toBeLessThanOrEqual(CHUNK_MAX_TOKENS + CHUNK_OVERLAP_TOKENS + 10);
    }
  });

  it('keeps a long paragraph of long tokens whole when it fits', () => {
    // As long as a passage of typical text but few tokens (a run of spaces is one): not split into sentences.
    const text = Array.from({ length: 30 }, (_, i) => `Item ${i}.${' '.repeat(80)}Done.`).join(' ');
    expect(countTokens(text)).toBeLessThan(CHUNK_MAX_TOKENS);
    expect(text.length).toBeGreaterThan(2500);
    expect(chunkMarkdown(text)).toEqual([{ position: 0, heading: null, content: text, tokens: countTokens(text) }]);
  });
});
