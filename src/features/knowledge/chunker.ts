import { countTokens } from '../../engine/history.js';

/** Passage sizes in tokens: big enough to carry a thought, small enough that several fit a prompt. */
export const CHUNK_MIN_TOKENS = 300;
export const CHUNK_MAX_TOKENS = 500;
/** Text repeated from the end of one passage at the start of the next, so a fact cut in two is whole in one. */
export const CHUNK_OVERLAP_TOKENS = 50;

export interface Chunk {
  position: number;
  /** The headings above the passage, outermost first, joined with " > " (null before the first heading). */
  heading: string | null;
  content: string;
  tokens: number;
}

interface Piece {
  text: string;
  tokens: number;
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

/**
 * Splits Markdown into passages of about 300-500 tokens. Boundaries are headings first (a new section
 * starts a new passage once the current one has some substance), then paragraphs, then sentences, and
 * words only for a sentence longer than a passage: never inside a word. A passage cut for size repeats
 * the last sentences of the one before (about 50 tokens).
 */
export function chunkMarkdown(markdown: string): Chunk[] {
  const chunks: Chunk[] = [];
  const path: string[] = [];
  let heading: string | null = null;
  let current: Piece[] = [];
  let tokens = 0;

  const emit = (overlap: boolean) => {
    if (!current.length) return;
    const content = current.map((p) => p.text).join('\n\n').trim();
    if (content) chunks.push({ position: chunks.length, heading, content, tokens: countTokens(content) });
    const carried: Piece[] = [];
    if (overlap) {
      // The tail of what was just emitted, sentence by sentence, up to the overlap budget.
      const tail = splitSentences(current[current.length - 1]!.text);
      let carriedTokens = 0;
      for (let i = tail.length - 1; i >= 0; i--) {
        const t = countTokens(tail[i]!);
        if (carriedTokens + t > CHUNK_OVERLAP_TOKENS) break;
        carried.unshift({ text: tail[i]!, tokens: t });
        carriedTokens += t;
      }
    }
    current = carried.length ? [{ text: carried.map((c) => c.text).join(' '), tokens: carried.reduce((n, c) => n + c.tokens, 0) }] : [];
    tokens = current[0]?.tokens ?? 0;
  };

  const add = (piece: Piece) => {
    if (tokens + piece.tokens > CHUNK_MAX_TOKENS && tokens > 0) emit(true);
    current.push(piece);
    tokens += piece.tokens;
    if (tokens >= CHUNK_MIN_TOKENS) emit(true);
  };

  for (const block of blocks(markdown)) {
    const h = HEADING.exec(block);
    if (h) {
      // A new section: close the passage if it says enough on its own, without repeating it.
      if (tokens >= CHUNK_MIN_TOKENS / 3) emit(false);
      const level = h[1]!.length;
      path.length = Math.min(path.length, level - 1);
      path[level - 1] = h[2]!;
      // A passage that runs on past a heading keeps the heading it started under.
      if (!current.length) heading = path.filter(Boolean).join(' > ') || null;
      add({ text: block, tokens: countTokens(block) });
      continue;
    }
    if (!current.length) heading = path.filter(Boolean).join(' > ') || null;
    for (const piece of fit(block)) add(piece);
  }
  emit(false);
  return chunks;
}

/** Paragraphs and headings, in order (a heading line is a block of its own). */
function blocks(markdown: string): string[] {
  const out: string[] = [];
  for (const para of markdown.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    const lines = para.split('\n');
    let buffer: string[] = [];
    for (const line of lines) {
      if (HEADING.test(line)) {
        if (buffer.length) out.push(buffer.join('\n').trim());
        out.push(line.trim());
        buffer = [];
      } else {
        buffer.push(line);
      }
    }
    if (buffer.join('').trim()) out.push(buffer.join('\n').trim());
  }
  return out.filter(Boolean);
}

/** A paragraph as pieces no larger than a passage: whole, or its sentences, or (for a giant sentence) runs of words. */
function fit(paragraph: string): Piece[] {
  const tokens = countTokens(paragraph);
  if (tokens <= CHUNK_MAX_TOKENS) return [{ text: paragraph, tokens }];
  const pieces: Piece[] = [];
  for (const sentence of splitSentences(paragraph)) {
    const t = countTokens(sentence);
    if (t <= CHUNK_MAX_TOKENS) pieces.push({ text: sentence, tokens: t });
    else pieces.push(...splitWords(sentence));
  }
  return pieces;
}

/** Sentences: after . ! ? (and their closing quotes or brackets) followed by white space. */
export function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?]["')\]]?)\s+/).map((s) => s.trim()).filter(Boolean);
}

function splitWords(sentence: string): Piece[] {
  const pieces: Piece[] = [];
  let words: string[] = [];
  let tokens = 0;
  for (const word of sentence.split(/\s+/)) {
    const t = countTokens(` ${word}`);
    if (tokens + t > CHUNK_MAX_TOKENS && words.length) {
      pieces.push({ text: words.join(' '), tokens });
      words = [];
      tokens = 0;
    }
    words.push(word);
    tokens += t;
  }
  if (words.length) pieces.push({ text: words.join(' '), tokens });
  return pieces;
}
