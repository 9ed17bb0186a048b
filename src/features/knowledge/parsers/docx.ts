import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { runBoundedWorker } from './bounded-worker.js';
import { CorruptFileError } from './errors.js';
import { formatCount, type ParseLimits } from './limits.js';
import { htmlFragmentToMarkdown } from './markdown-from-html.js';
import { isWordDocument, readZipDirectory } from './zip-directory.js';

const mammothUrl = pathToFileURL(createRequire(import.meta.url).resolve('mammoth')).href;

/**
 * mammoth maps Word styles to HTML (Heading 1 → h1, lists, tables), which Markdown keeps.
 * Images become nothing rather than data: URIs, and linked external files are never read.
 */
const DOCX_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const imported = await import(workerData.mammothUrl);
  const mammoth = imported.default || imported;
  const result = await mammoth.convertToHtml(
    { buffer: Buffer.from(workerData.bytes.buffer, workerData.bytes.byteOffset, workerData.bytes.byteLength) },
    { ignoreEmptyParagraphs: true, externalFileAccess: false, convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
  );
  if (result.value.length > workerData.maxHtmlChars) {
    parentPort.postMessage({ ok: false, limit: true, name: 'chars', message: String(result.value.length) });
    return;
  }
  parentPort.postMessage({ ok: true, result: result.value });
})().catch((err) => {
  parentPort.postMessage({ ok: false, name: String((err && err.name) || 'Error'), message: String((err && err.message) || err) });
});
`;

export async function extractDocx(bytes: Uint8Array, limits: ParseLimits): Promise<{ title: string | null; markdown: string }> {
  const entries = readZipDirectory(bytes);
  if (!entries || !isWordDocument(entries)) throw new CorruptFileError('the DOCX is damaged: its ZIP directory or word/document.xml is missing');
  const unzipped = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (unzipped > limits.maxUnzippedBytes) {
    const size = Number.isFinite(unzipped) ? `${formatCount(Math.round(unzipped / 1024 / 1024))} MB` : 'more than 4 GB';
    throw new CorruptFileError(`the DOCX unpacks to ${size}; the limit is ${formatCount(Math.round(limits.maxUnzippedBytes / 1024 / 1024))} MB`, 'file_too_complex');
  }

  const copy = new Uint8Array(bytes);
  const reply = await runBoundedWorker<string>({
    source: DOCX_WORKER_SOURCE,
    // HTML tags roughly double the text; the Markdown is measured against the limit afterwards.
    workerData: { bytes: copy, mammothUrl, maxHtmlChars: limits.maxTextChars * 4 },
    transferList: [copy.buffer],
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.workerMemoryMb,
    what: 'DOCX',
  });
  if (!reply.ok) {
    if (reply.limit) throw new CorruptFileError(`the DOCX holds more than the limit of ${formatCount(limits.maxTextChars)} characters of text`, 'file_too_complex');
    throw new CorruptFileError(`the DOCX is damaged and could not be read (${reply.message.replace(/\.$/, '')})`);
  }
  const markdown = htmlFragmentToMarkdown(reply.result);
  const title = markdown.match(/^# (.+)$/m)?.[1]?.trim() ?? null;
  return { title, markdown };
}
