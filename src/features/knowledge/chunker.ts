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
  /** What the passage budget counts it as. */
  tokens: number;
  /** Its own count where that differs: an overlap or a run of words is budgeted at the sum of its parts. */
  exact?: number;
  /** A paragraph's sentences, when it was counted sentence by sentence. */
  sentences?: Piece[];
}

const exact = (p: Piece) => p.exact ?? p.tokens;

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
    // Pieces are trimmed and not empty, so the passage is them joined, and its count theirs plus what each
    // join adds: exact, without tokenizing the passage again.
    const content = current.map((p) => p.text).join('\n\n');
    let count = exact(current[0]!);
    for (let i = 1; i < current.length; i++) count += joinTokens(current[i - 1]!.text, '\n\n', current[i]!) + exact(current[i]!);
    chunks.push({ position: chunks.length, heading, content, tokens: count });
    const carried: Piece[] = [];
    if (overlap) {
      // The tail of what was just emitted, sentence by sentence, up to the overlap budget.
      const last = current[current.length - 1]!;
      const known = last.sentences;
      const tail = known?.map((p) => p.text) ?? splitSentences(last.text);
      let carriedTokens = 0;
      for (let i = tail.length - 1; i >= 0; i--) {
        // A paragraph's sentences may have been counted with it; a piece that is one sentence (or a run of
        // words) was counted already.
        const t = known ? known[i]!.tokens : tail.length === 1 ? exact(last) : countTokens(tail[i]!);
        if (carriedTokens + t > CHUNK_OVERLAP_TOKENS) break;
        carried.unshift({ text: tail[i]!, tokens: t });
        carriedTokens += t;
      }
    }
    current = carried.length
      ? [carried.reduce((a, b) => ({ text: `${a.text} ${b.text}`, tokens: a.tokens + b.tokens, exact: exact(a) + joinTokens(a.text, ' ', b) + b.tokens }))]
      : [];
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
    // A paragraph that will likely end the passage is counted by sentences, so the overlap needs no recount.
    for (const piece of fit(block, tokens + block.length / CHARS_PER_TOKEN >= CHUNK_MIN_TOKENS)) add(piece);
  }
  emit(false);
  return chunks;
}

/** Paragraphs and headings, in order (a heading line is a block of its own). */
function blocks(markdown: string): string[] {
  const out: string[] = [];
  for (const para of markdown.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    if (!para.includes('#')) {
      // No heading line: one block.
      out.push(para.trim());
      continue;
    }
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

/** Characters a token in typical text, to guess (never to decide) how a paragraph will be cut. */
const CHARS_PER_TOKEN = 4.5;

/**
 * A paragraph as pieces no larger than a passage: whole, or its sentences, or (for a giant sentence) runs of
 * words. It is counted whole, or, when it likely ends a passage or exceeds one, sentence by sentence.
 */
function fit(paragraph: string, bySentence: boolean): Piece[] {
  if (!bySentence && paragraph.length <= CHUNK_MAX_TOKENS * CHARS_PER_TOKEN) {
    const tokens = countTokens(paragraph);
    if (tokens <= CHUNK_MAX_TOKENS) return [{ text: paragraph, tokens }];
  }
  // Sentences alternate with the white space between them (the paragraph is trimmed: none is empty).
  const parts = paragraph.split(SENTENCE_BREAK);
  const sentences: Piece[] = [];
  let tokens = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const sentence = { text: parts[i]!, tokens: countTokens(parts[i]!) };
    if (i) tokens += joinTokens(parts[i - 2]!, parts[i - 1]!, sentence);
    tokens += sentence.tokens;
    sentences.push(sentence);
  }
  if (tokens <= CHUNK_MAX_TOKENS) return [{ text: paragraph, tokens, sentences }];
  return sentences.flatMap((p) => (p.tokens <= CHUNK_MAX_TOKENS ? [p] : splitWords(p.text)));
}

const SENTENCE_BREAK = /(?<=[.!?]["')\]]?)(\s+)/;

/**
 * What joining trimmed `a` and `b` (counted apart) with white space adds to their counts, exactly. The
 * tokenizer cuts text into pre-tokens before merging, and a join only changes the pre-tokens it touches:
 * a space after a non-space always starts one, as does punctuation after a letter or digit, and line
 * breaks end one unless a slash follows. So the cost depends on a few characters either side, and is cached.
 */
function joinTokens(a: string, separator: string, b: Piece): number {
  const tail = separator[0] === ' ' ? '' : (ENDING_PUNCTUATION.exec(a.slice(-8))?.[0] ?? a.slice(lastWordStart(a)));
  const head = LINE_BREAK_LAST.test(separator) && b.text[0] !== '/' ? '' : b.text.slice(0, firstWordEnd(b.text));
  const joined = tail + separator + head;
  // The tail's length tells where the separator starts: the key is never ambiguous.
  const key = `${tail.length}:${joined}`;
  let cost = joinCosts.get(key);
  if (cost === undefined) {
    cost = countTokens(joined) - countTokens(tail) - countTokens(head);
    if (joinCosts.size >= 10_000) joinCosts.clear();
    if (joined.length <= 64) joinCosts.set(key, cost);
  }
  return cost;
}

const joinCosts = new Map<string, number>();
/** Punctuation (or none) after a letter or digit, whose pre-token ends there unless a combining mark follows. */
const ENDING_PUNCTUATION = /(?<=[\p{L}\p{N}])(?:[^\s\p{L}\p{N}\p{M}][^\s\p{L}\p{N}]*)?$/u;
const LINE_BREAK_LAST = /[\r\n]$/;
const NOT_SPACE = /\S/;

/** Where the last space after a non-space is (0 if none): a pre-token starts there. */
function lastWordStart(text: string): number {
  let i = text.length - 1;
  while (i > 0 && !(text[i] === ' ' && NOT_SPACE.test(text[i - 1]!))) i--;
  return Math.max(i, 0);
}

/** Where the first space after a non-space is (the length if none): a pre-token starts there. */
function firstWordEnd(text: string): number {
  let i = 1;
  while (i < text.length && !(text[i] === ' ' && NOT_SPACE.test(text[i - 1]!))) i++;
  return Math.min(i, text.length);
}

/** Sentences: after . ! ? (and their closing quotes or brackets) followed by white space. */
export function splitSentences(text: string): string[] {
  // The white space SENTENCE_BREAK captures between sentences trims to nothing and is dropped.
  return text.split(SENTENCE_BREAK).map((s) => s.trim()).filter(Boolean);
}

function splitWords(sentence: string): Piece[] {
  const pieces: Piece[] = [];
  let words: string[] = [];
  let tokens = 0;
  // Each word after the first is counted with the space before it, as it tokenizes in the run; the first is
  // budgeted the same way but its exact count is taken without.
  const push = () => pieces.push({ text: words.join(' '), tokens, exact: tokens - countTokens(` ${words[0]}`) + countTokens(words[0]!) });
  for (const word of sentence.split(/\s+/)) {
    const t = countTokens(` ${word}`);
    if (tokens + t > CHUNK_MAX_TOKENS && words.length) {
      push();
      words = [];
      tokens = 0;
    }
    words.push(word);
    tokens += t;
  }
  if (words.length) push();
  return pieces;
}
