/**
 * Deterministic pseudo-random text for the knowledge benchmark: prose in an English-like language
 * whose content words follow a Zipf distribution (a few words are everywhere, most are rare), so
 * full-text search sees realistic selectivity, plus the queries fans would send.
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const between = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Words that glue sentences together (mostly English stop words, which full-text search drops). */
const FUNCTION_WORDS = [
  'the', 'the', 'the', 'of', 'of', 'and', 'and', 'to', 'to', 'a', 'a', 'in', 'in', 'is', 'that', 'for', 'it', 'with', 'as', 'was',
  'on', 'be', 'by', 'at', 'this', 'from', 'or', 'an', 'are', 'but', 'which', 'their', 'when', 'has', 'into', 'more', 'can', 'its',
  'after', 'before', 'because', 'while', 'each', 'most', 'some', 'other', 'over', 'under', 'between', 'through', 'where', 'how',
];

/** Real content words first (the most frequent ranks), so questions read naturally. */
const REAL_WORDS = `
time year people way day man thing woman life child world school state family student group country problem hand part place
case week company system program question work government number night point home water room mother area money story fact
month lot right study book eye job word business issue side kind head house service friend father power hour game line end
member law car city community name president team minute idea kid body information back parent face others level office door
health person art war history party result change morning reason research girl guy moment air teacher force education foot
boy age policy process music market sense nation plan college interest death experience effect class control care field
development role effort rate heart drug show leader light voice wife police mind price report decision son view relationship
town road arm difference value building action model season society tax director position player record paper space ground
form event official matter center couple site project activity star table need court oil situation cost industry figure
street image phone data picture practice piece land product doctor wall patient worker news test movie north love support
technology step baby computer type attention film tree source organization hair window evidence population site island harbor
lighthouse garden recipe coffee painting guitar concert travel ticket refund subscription schedule tour album merchandise
shipping delivery warranty battery charger camera lens festival beach mountain river forest village bakery kitchen bread
cheese wine tea chocolate puppy kitten horse bicycle train airport hotel passport luggage weather storm sunset winter summer
autumn spring holiday birthday wedding dinner breakfast lunch dessert podcast episode chapter novel poem canvas sculpture
studio workshop lesson course exam degree scholarship museum gallery theater stage costume makeup fashion jacket sweater
boots necklace ring bracelet perfume candle blanket pillow sofa lamp mirror balcony rooftop fountain bridge castle tower
`.trim().split(/\s+/);

const PREFIXES = ['re', 'un', 'pre', 'over', 'under', 'out', 'mis', 'co', 'inter', 'sub', 'super', 'counter', 'non', 'semi'];
const SUFFIXES = ['ing', 'ed', 'er', 'ers', 'ness', 'ment', 'able', 'less', 'ful', 'ly', 'ship', 'hood', 'ward', 'ist', 'ism', 'ish', 'like', 'craft'];

export interface Vocabulary {
  words: string[];
  /** A content word, drawn by its Zipf weight. */
  word(r: Rand): string;
  /** A content word whose Zipf rank is in [from, to). */
  wordInRanks(r: Rand, from: number, to: number): string;
}

/**
 * REAL_WORDS, then words made of them as English makes words (prefix + word, word + suffix, word +
 * word: "rebattery", "harborless", "lampcastle"), `size` in all, so they tokenize and stem like
 * English. Rank k is drawn with weight 1 / (k + 100): the commonest content word is in about one
 * passage in five, a word of rank 1,000 in one in fifty, one of rank 30,000 in about one in a thousand,
 * roughly as in English prose.
 */
export function vocabulary(size = 40_000, seed = 7): Vocabulary {
  const r = rng(seed);
  const seen = new Set<string>(REAL_WORDS);
  const made: string[] = [];
  while (made.length < size - seen.size) {
    const roll = r();
    const root = pick(r, REAL_WORDS);
    const w = roll < 0.4 ? root + pick(r, SUFFIXES) : roll < 0.7 ? pick(r, PREFIXES) + root : root + pick(r, REAL_WORDS);
    if (!seen.has(w)) {
      seen.add(w);
      made.push(w);
    }
  }
  // The real words take the first ranks (in a shuffled order), as a language's common words are
  // its old short ones; made words fill the long tail. About a quarter of all content words drawn are real.
  const real = [...new Set(REAL_WORDS)];
  for (let i = real.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [real[i], real[j]] = [real[j]!, real[i]!];
  }
  const ranked = [...real, ...made];
  const cdf = new Float64Array(ranked.length);
  let total = 0;
  for (let k = 0; k < ranked.length; k++) cdf[k] = total += 1 / (k + 100);
  const draw = (u: number) => {
    const x = u * total;
    let lo = 0;
    let hi = ranked.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return ranked[lo]!;
  };
  return {
    words: ranked,
    word: (rr) => draw(rr()),
    wordInRanks: (rr, from, to) => ranked[Math.min(ranked.length - 1, between(rr, from, to - 1))]!,
  };
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function sentence(r: Rand, v: Vocabulary, minWords = 7, maxWords = 22): string {
  const n = between(r, minWords, maxWords);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(r() < 0.42 ? pick(r, FUNCTION_WORDS) : v.word(r));
  let s = capital(words.join(' '));
  if (n > 10 && r() < 0.4) s = s.replace(/ (\S+) /, ' $1, ');
  if (r() < 0.08) s += ` ${between(r, 2, 2030)}`;
  return s + (r() < 0.9 ? '.' : r() < 0.5 ? '?' : '!');
}

export function paragraph(r: Rand, v: Vocabulary, minSentences = 2, maxSentences = 7): string {
  const out: string[] = [];
  for (let i = between(r, minSentences, maxSentences); i > 0; i--) out.push(sentence(r, v));
  return out.join(' ');
}

const title = (r: Rand, v: Vocabulary, words = between(r, 2, 5)) => capital(Array.from({ length: words }, () => v.word(r)).join(' '));

/** A Markdown document of about `bytes`: a title, sections and subsections, paragraphs, the odd list and emphasis. */
export function markdownDocument(r: Rand, v: Vocabulary, bytes: number): string {
  const parts: string[] = [`# ${title(r, v)}`, paragraph(r, v, 1, 3)];
  let size = parts.join('\n\n').length;
  while (size < bytes) {
    const section: string[] = [`## ${title(r, v)}`];
    for (let p = between(r, 2, 6); p > 0; p--) {
      const roll = r();
      if (roll < 0.12) section.push(`### ${title(r, v)}`);
      else if (roll < 0.2) section.push(Array.from({ length: between(r, 3, 6) }, () => `- ${sentence(r, v, 3, 10)}`).join('\n'));
      else if (roll < 0.25) section.push(paragraph(r, v).replace(/ (\w{5,}) /, ' **$1** '));
      section.push(paragraph(r, v));
    }
    const text = section.join('\n\n');
    parts.push(text);
    size += text.length + 2;
  }
  return parts.join('\n\n') + '\n';
}

/** Plain text of about `bytes`: a title line, then paragraphs separated by blank lines, hard-wrapped at 80 columns. */
export function plainDocument(r: Rand, v: Vocabulary, bytes: number): string {
  const parts: string[] = [title(r, v).toUpperCase()];
  let size = parts[0]!.length;
  while (size < bytes) {
    const text = paragraph(r, v, 3, 9).replace(/(.{1,79})(\s+|$)/g, '$1\n').trimEnd();
    parts.push(text);
    size += text.length + 2;
  }
  return parts.join('\n\n') + '\n';
}

/**
 * One stored passage like those chunkMarkdown makes of this text: paragraphs adding up to about
 * 900-2,100 characters (200-470 tokens; chunkMarkdown's average here is about 1,500), under a heading path.
 */
export function passage(r: Rand, v: Vocabulary): { heading: string | null; content: string; tokens: number } {
  const target = between(r, 800, 1900);
  const paras: string[] = [];
  let size = 0;
  while (size < target) {
    const p = paragraph(r, v, 2, 6);
    paras.push(p);
    size += p.length + 2;
  }
  const content = paras.join('\n\n');
  const heading = r() < 0.85 ? [title(r, v), ...(r() < 0.5 ? [title(r, v)] : [])].join(' > ') : null;
  // About 4.2 characters a token for this text (o200k); exact counts do not matter to retrieval.
  return { heading, content, tokens: Math.round(content.length / 4.2) };
}

const QUESTIONS = [
  'what can you tell me about the {a}?',
  'how does {a} work with {b}?',
  'do you know anything about {a} and {b}',
  'where can I find the {a} {b} information',
  'I was wondering what happened with {a} last {b}, can you explain?',
  'is there a {a} for {b} or {c}?',
  'tell me more about {a}',
  'why is the {a} so important for {b}?',
  'hey! what do you think about {a} {b} these days',
  'can you remind me how {a} relates to {b} and {c}?',
  'what is the difference between {a} and {b}?',
  'when does the {a} {b} start?',
];

/** A misspelling a person makes: two letters swapped, one dropped, or one doubled. */
function misspell(r: Rand, w: string): string {
  const i = between(r, 1, w.length - 2);
  const roll = r();
  if (roll < 0.4) return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
  if (roll < 0.75) return w.slice(0, i) + w.slice(i + 1);
  return w.slice(0, i) + w[i] + w.slice(i);
}

export interface Query {
  kind: 'question' | 'short' | 'misspelled';
  text: string;
}

/**
 * `n` queries: about half conversational questions, a third short (1-3 words), the rest short
 * queries with a misspelled word. Their words come from all frequency bands (common to rare).
 */
export function queries(r: Rand, v: Vocabulary, n: number): Query[] {
  const bandWord = () => {
    const roll = r();
    if (roll < 0.3) return v.wordInRanks(r, 0, 300);
    if (roll < 0.7) return v.wordInRanks(r, 300, 5000);
    return v.wordInRanks(r, 5000, 30000);
  };
  const out: Query[] = [];
  for (let i = 0; i < n; i++) {
    const roll = i % 6;
    if (roll < 3) {
      const text = pick(r, QUESTIONS).replace('{a}', bandWord()).replace('{b}', bandWord()).replace('{c}', bandWord());
      out.push({ kind: 'question', text });
    } else if (roll < 5) {
      out.push({ kind: 'short', text: Array.from({ length: between(r, 1, 3) }, bandWord).join(' ') });
    } else {
      const words = Array.from({ length: between(r, 1, 3) }, bandWord);
      const j = words.findIndex((w) => w.length >= 5);
      if (j >= 0) words[j] = misspell(r, words[j]!);
      else words[0] = misspell(r, `${words[0]}s`);
      out.push({ kind: 'misspelled', text: words.join(' ') });
    }
  }
  return out;
}
