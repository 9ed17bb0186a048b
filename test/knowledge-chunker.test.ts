import { describe, expect, it } from 'vitest';
import { chunkMarkdown, CHUNK_MAX_TOKENS, splitSentences } from '../src/features/knowledge/chunker.js';
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
});
