/**
 * Content sniffing for the text formats. Only a prefix is examined (except for JSON, which must
 * parse as a whole), so detection stays cheap on large files.
 */
const SAMPLE_CHARS = 64 * 1024;

export type JsonSniff = { ok: true; value: unknown } | { ok: false; error: string } | null;

/** Parses text that starts like a JSON object or array; null when it does not look like JSON at all. */
export function sniffJson(text: string): JsonSniff {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return null;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const DOCUMENT_MARKERS = /<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]/i;
const COMMON_TAGS =
  /<(p|div|span|a|br|hr|img|h[1-6]|ul|ol|li|table|tr|td|th|article|section|main|header|footer|nav|aside|title|meta|link|script|style|strong|em|b|i|blockquote|pre|code|form)[\s>/]/gi;

/**
 * 'document' for a page with document markers (which Markdown never has), 'fragment' for text that
 * starts with a tag and is mostly tags: Markdown may open with an HTML block (many READMEs do), so
 * callers let a Markdown file name win over 'fragment'.
 */
export function sniffHtml(text: string): 'document' | 'fragment' | null {
  const sample = text.slice(0, SAMPLE_CHARS);
  if (DOCUMENT_MARKERS.test(sample)) return 'document';
  if (!sample.trimStart().startsWith('<')) return null;
  return (sample.match(COMMON_TAGS)?.length ?? 0) >= 2 ? 'fragment' : null;
}

const MD_HEADING = /^#{1,6}[ \t]+\S/gm;
const MD_FENCE = /^(```|~~~)/gm;
const MD_LINK = /\[[^\]\n]+\]\([^)\s]+\)/g;
const MD_EMPHASIS = /(\*\*|__)[^*_\n]+\1/g;
const MD_TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/m;
const MD_LIST = /^[ \t]*([-*+]|\d+\.)[ \t]+\S/gm;

/** Markdown when several of its markers appear; plain text otherwise. */
export function looksLikeMarkdown(text: string): boolean {
  const sample = text.slice(0, SAMPLE_CHARS);
  const count = (pattern: RegExp) => sample.match(pattern)?.length ?? 0;
  const headings = count(MD_HEADING);
  const score =
    2 * Math.min(headings, 2) +
    2 * Math.min(count(MD_FENCE), 1) +
    2 * (MD_TABLE_RULE.test(sample) ? 1 : 0) +
    Math.min(count(MD_LINK), 2) +
    Math.min(count(MD_EMPHASIS), 2) +
    (headings > 0 && count(MD_LIST) > 0 ? 1 : 0);
  return score >= 3 || (headings > 0 && score >= 2);
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
const MAX_SAMPLE_RECORDS = 50;
const MAX_HEADER_FIELD = 100;

/** Splits the start of the text into records, honouring double quotes (a quoted field may span lines). */
function sampleRecords(text: string): string[] {
  const sample = text.slice(0, SAMPLE_CHARS);
  const records: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < sample.length && records.length < MAX_SAMPLE_RECORDS; i++) {
    const ch = sample[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      records.push(sample.slice(start, i).replace(/\r$/, ''));
      start = i + 1;
    }
  }
  // The last record is whole only if the sample reached the end of the text.
  if (records.length < MAX_SAMPLE_RECORDS && sample.length === text.length && start < sample.length) {
    records.push(sample.slice(start));
  }
  return records.filter((record) => record.trim() !== '');
}

/** Fields of one record split on a delimiter outside quotes. */
function splitRecord(record: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (const ch of record) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) {
      fields.push(field);
      field = '';
      continue;
    }
    field += ch;
  }
  fields.push(field);
  return fields;
}

/**
 * The delimiter that splits every sampled record into the same number (≥ 2) of fields, with short
 * header fields — which prose lines that happen to hold a comma do not have. Null: not a table.
 */
export function detectCsvDelimiter(text: string): string | null {
  const records = sampleRecords(text);
  if (records.length < 2) return null;
  const markdownTable = MD_TABLE_RULE.test(text.slice(0, SAMPLE_CHARS));
  let best: { delimiter: string; fields: number } | null = null;
  for (const delimiter of DELIMITERS) {
    if (delimiter === '|' && markdownTable) continue;
    const counts = records.map((record) => splitRecord(record, delimiter).length);
    const fields = counts[0] ?? 0;
    if (fields < 2) continue;
    // Two lines of two fields is as likely a pair of sentences with a comma each.
    if (fields === 2 && records.length < 3) continue;
    const mismatched = counts.filter((count) => count !== fields).length;
    // A few ragged rows are tolerated in a long sample, none in a short one.
    if (mismatched > Math.floor(records.length / 10)) continue;
    const header = splitRecord(records[0] ?? '', delimiter).map((field) => field.trim());
    if (header.some((field) => field.length > MAX_HEADER_FIELD)) continue;
    if (!best || fields > best.fields) best = { delimiter, fields };
  }
  return best?.delimiter ?? null;
}
