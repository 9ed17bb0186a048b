import { csvRows } from './csv.js';
import type { KnowledgeType } from './detect.js';
import { extractDocx } from './docx.js';
import { CorruptFileError, UnsupportedFileError } from './errors.js';
import { htmlToMarkdown } from './html.js';
import { jsonToMarkdown } from './json.js';
import { formatCount, resolveLimits, type ParseLimits } from './limits.js';
import { extractPdf } from './pdf.js';
import { rowsToMarkdown } from './rows.js';
import { decodeText } from './text-decode.js';
import { extractPlainText } from './text.js';

export interface ExtractedText {
  title: string | null;
  /** Markdown-ish text: "#" headings and blank lines between paragraphs, for the chunker. */
  markdown: string;
}

export interface ExtractOptions {
  filename?: string;
  limits?: Partial<ParseLimits>;
}

function textOf(bytes: Uint8Array, type: KnowledgeType): string {
  const text = decodeText(bytes);
  if (text === null) throw new UnsupportedFileError(`the file is not UTF-8 text, so it cannot be read as ${type.toUpperCase()}`);
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CorruptFileError(`the JSON could not be read (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function extractByType(type: KnowledgeType, bytes: Uint8Array, options: ExtractOptions, limits: ParseLimits): Promise<ExtractedText> {
  switch (type) {
    case 'pdf':
      return extractPdf(bytes, limits);
    case 'docx':
      return extractDocx(bytes, limits);
    case 'html': {
      const { title, markdown } = htmlToMarkdown(textOf(bytes, type));
      return { title, markdown };
    }
    case 'csv': {
      const tab = /\.tsv$/i.test(options.filename ?? '') ? '\t' : undefined;
      return { title: null, markdown: rowsToMarkdown(csvRows(textOf(bytes, type), tab)) };
    }
    case 'json':
      return { title: null, markdown: jsonToMarkdown(parseJson(textOf(bytes, type))) };
    case 'txt':
    case 'md':
      return extractPlainText(textOf(bytes, type), type);
  }
}

/**
 * The text of a file whose type detectType has established. Throws CorruptFileError when the file
 * cannot be read, holds no text, or passes a limit (the error says which).
 */
export async function extractText(type: KnowledgeType, bytes: Uint8Array, options: ExtractOptions = {}): Promise<ExtractedText> {
  const limits = resolveLimits(options.limits);
  const extracted = await extractByType(type, bytes, options, limits);
  if (extracted.markdown.length > limits.maxTextChars) {
    throw new CorruptFileError(
      `the file holds ${formatCount(extracted.markdown.length)} characters of text; the limit is ${formatCount(limits.maxTextChars)}`,
      'file_too_complex',
    );
  }
  if (extracted.markdown.trim() === '') throw new CorruptFileError(`the ${type.toUpperCase()} file contains no text`, 'file_empty');
  return extracted;
}
