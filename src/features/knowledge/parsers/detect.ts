import { fileTypeFromBuffer } from 'file-type';
import { CorruptFileError, UnsupportedFileError } from './errors.js';
import { describeFileType } from './describe-file-type.js';
import { decodeText, looksBinary } from './text-decode.js';
import { detectCsvDelimiter, looksLikeMarkdown, sniffHtml, sniffJson } from './sniff-text.js';
import { isWordDocument, readZipDirectory } from './zip-directory.js';
import { ownEntry } from '../../../core/own-entry.js';

export const KNOWLEDGE_TYPES = ['pdf', 'docx', 'txt', 'md', 'html', 'csv', 'json'] as const;
export type KnowledgeType = (typeof KNOWLEDGE_TYPES)[number];

const NOT_SUPPORTED = `not one of: ${KNOWLEDGE_TYPES.join(', ')}`;

const TYPE_BY_EXTENSION: Record<string, KnowledgeType> = {
  pdf: 'pdf',
  docx: 'docx',
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  mdown: 'md',
  mkd: 'md',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  csv: 'csv',
  tsv: 'csv',
  json: 'json',
};

// text/plain is left out: clients send it for any text file, so it says nothing about the format.
const TYPE_BY_MIME: Record<string, KnowledgeType> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'application/json': 'json',
  'text/json': 'json',
};

/** What the file name or declared media type claims, and how to say so in a refusal. */
interface Claim {
  type: KnowledgeType;
  label: string;
}

function claimOf(filename?: string, declaredMime?: string): Claim | null {
  const extension = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  const byName = extension ? ownEntry(TYPE_BY_EXTENSION, extension) : undefined;
  if (byName) return { type: byName, label: `named .${extension}` };
  const mime = declaredMime?.split(';')[0]?.trim().toLowerCase();
  const byMime = mime ? (ownEntry(TYPE_BY_MIME, mime) ?? (mime.endsWith('+json') ? 'json' : undefined)) : undefined;
  return byMime ? { type: byMime, label: `declared as ${mime}` } : null;
}

type BinarySniff = { kind: 'pdf' | 'docx' | 'text' } | { kind: 'other'; description: string };

const hasUtf16Mark = (bytes: Uint8Array) => (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);

async function sniffBinary(bytes: Uint8Array): Promise<BinarySniff> {
  // FF FE / FE FF also open an MPEG audio frame; as the start of decodable text they are a BOM.
  if (hasUtf16Mark(bytes) && decodeText(bytes) !== null) return { kind: 'text' };
  let found: { ext: string; mime: string } | undefined;
  try {
    found = await fileTypeFromBuffer(bytes);
  } catch {
    found = undefined; // a malformed container is judged by the checks below
  }
  if (found?.ext === 'pdf' || found?.ext === 'ai') return { kind: 'pdf' }; // .ai files are PDFs
  if (found?.ext === 'docx' || found?.ext === 'zip') {
    // file-type trusts [Content_Types].xml; the document part is what a parser actually needs.
    const entries = readZipDirectory(bytes);
    if (entries && isWordDocument(entries)) return { kind: 'docx' };
    if (found.ext === 'docx') return { kind: 'other', description: 'a Word document without its main part (word/document.xml)' };
  }
  if (found && found.ext !== 'xml' && !found.mime.startsWith('text/')) {
    return { kind: 'other', description: describeFileType(found.ext, found.mime) };
  }
  // A PDF may carry up to 1 KB of junk before its header; readers accept it, so must we.
  if (Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).includes('%PDF-')) return { kind: 'pdf' };
  return { kind: 'text' }; // including XML, since XHTML is XML: the text sniffing decides
}

/**
 * The knowledge type of a file, taken from its bytes. The name and declared media type only break
 * ties between text formats (CSV vs text, Markdown vs an HTML fragment) and expose lies: a file
 * named .pdf that is not a PDF is refused rather than read as something else.
 */
export async function detectType(bytes: Uint8Array, filename?: string, declaredMime?: string): Promise<KnowledgeType> {
  if (bytes.length === 0) throw new CorruptFileError('the file is empty', 'file_empty');
  const claim = claimOf(filename, declaredMime);
  const sniffed = await sniffBinary(bytes);
  if (sniffed.kind === 'pdf' || sniffed.kind === 'docx') return sniffed.kind;
  if (sniffed.kind === 'other') {
    const although = claim ? ` (although ${claim.label})` : '';
    throw new UnsupportedFileError(`the file is ${sniffed.description}${although}, ${NOT_SUPPORTED}`);
  }

  const text = decodeText(bytes);
  if (text === null) {
    throw new UnsupportedFileError(
      looksBinary(bytes)
        ? `the file is binary data of an unknown kind, ${NOT_SUPPORTED}`
        : 'the file is text that is not UTF-8 encoded; save it as UTF-8 and upload it again',
    );
  }
  if (text.trim() === '') throw new CorruptFileError('the file contains only blank space', 'file_empty');
  if (claim?.type === 'pdf' || claim?.type === 'docx') {
    throw new UnsupportedFileError(`the file is ${claim.label} but contains text, not a ${claim.type.toUpperCase()} document`);
  }
  return detectTextType(text, claim);
}

function detectTextType(text: string, claim: Claim | null): KnowledgeType {
  const json = sniffJson(text);
  if (json?.ok && typeof json.value === 'object' && json.value !== null) return 'json';
  // Broken JSON is reported as such; content that is not JSON-like at all is judged by what it is.
  if (json && !json.ok && claim?.type === 'json') {
    throw new CorruptFileError(`the file is ${claim.label} but is not valid JSON: ${json.error}`);
  }
  const html = sniffHtml(text);
  if (html === 'document') {
    if (/^\s*<\?xml/.test(text) && !/<html[\s>]/i.test(text.slice(0, 65536))) {
      throw new UnsupportedFileError(`the file is an XML document, ${NOT_SUPPORTED}`);
    }
    return 'html';
  }
  if (/^\s*<\?xml/.test(text)) {
    const what = /<svg[\s>]/i.test(text.slice(0, 65536)) ? 'an SVG image' : 'an XML document';
    throw new UnsupportedFileError(`the file is ${what}, ${NOT_SUPPORTED}`);
  }
  if (html === 'fragment' && claim?.type !== 'md') return 'html';
  if (claim?.type === 'txt' || claim?.type === 'md' || claim?.type === 'csv') return claim.type;
  if (detectCsvDelimiter(text)) return 'csv';
  return looksLikeMarkdown(text) ? 'md' : 'txt';
}
