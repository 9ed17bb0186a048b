import { detectType, type KnowledgeType } from './detect.js';
import { extractText } from './extract.js';
import type { ParseLimits } from './limits.js';

export { detectType, KNOWLEDGE_TYPES, type KnowledgeType } from './detect.js';
export { extractText, type ExtractedText, type ExtractOptions } from './extract.js';
export { UnsupportedFileError, CorruptFileError, type CorruptFileCode } from './errors.js';
export { htmlToMarkdown, type HtmlMarkdown } from './html.js';
export { csvRows } from './csv.js';
export { jsonRows } from './json.js';
export { rowToPassage, type Row } from './rows.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';

export interface ParsedFile {
  type: KnowledgeType;
  title: string | null;
  markdown: string;
}

/**
 * Uploaded bytes → their type (from the content) and their text as Markdown. Throws
 * UnsupportedFileError (415) for a kind that is not supported or a name that lies about it, and
 * CorruptFileError (422, or the source's `failed` reason in a job) for a file that cannot be read.
 */
export async function parseFile(
  bytes: Uint8Array,
  options: { filename?: string; mime?: string; limits?: Partial<ParseLimits> } = {},
): Promise<ParsedFile> {
  const type = await detectType(bytes, options.filename, options.mime);
  const { title, markdown } = await extractText(type, bytes, { filename: options.filename, limits: options.limits });
  return { type, title, markdown };
}
