import { runBoundedWorker } from './bounded-worker.js';
import { CorruptFileError } from './errors.js';
import { formatCount, type ParseLimits } from './limits.js';
import { pdfRunsToMarkdown } from './pdf-layout.js';
import { PDF_WORKER_SOURCE, pdfWorkerPaths, type PdfWorkerResult } from './pdf-worker.js';

/** Titles that PDF producers fill in by themselves and that name nothing. */
const GENERATED_TITLE = /^(untitled|microsoft (word|powerpoint|excel) - .*|.*\.(docx?|pptx?|xlsx?|pdf|txt|tex|indd))$/i;

export async function extractPdf(bytes: Uint8Array, limits: ParseLimits): Promise<{ title: string | null; markdown: string }> {
  // A copy is transferred so the caller's buffer stays usable (transfer detaches it).
  const copy = new Uint8Array(bytes);
  const reply = await runBoundedWorker<PdfWorkerResult>({
    source: PDF_WORKER_SOURCE,
    workerData: { bytes: copy, ...pdfWorkerPaths, maxPages: limits.maxPdfPages, maxTextChars: limits.maxTextChars },
    transferList: [copy.buffer],
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.workerMemoryMb,
    what: 'PDF',
  });
  if (!reply.ok) throw pdfError(reply, limits);

  const { markdown, firstHeading } = pdfRunsToMarkdown(reply.result.pages);
  if (markdown.trim() === '') {
    throw new CorruptFileError('the PDF has no text layer (scanned?); run it through OCR and upload the result', 'pdf_no_text');
  }
  const metadataTitle = reply.result.title?.replace(/\s+/g, ' ').trim();
  const title = metadataTitle && !GENERATED_TITLE.test(metadataTitle) ? metadataTitle : firstHeading;
  return { title: title ?? null, markdown };
}

function pdfError(reply: { name: string; message: string; limit?: boolean }, limits: ParseLimits): CorruptFileError {
  if (reply.limit && reply.name === 'pages') {
    return new CorruptFileError(`the PDF has ${formatCount(Number(reply.message))} pages; the limit is ${formatCount(limits.maxPdfPages)}`, 'file_too_complex');
  }
  if (reply.limit) {
    return new CorruptFileError(`the PDF holds more than the limit of ${formatCount(limits.maxTextChars)} characters of text`, 'file_too_complex');
  }
  if (reply.name === 'PasswordException') {
    return new CorruptFileError('the PDF is password-protected; upload a copy without a password', 'pdf_encrypted');
  }
  // pdf.js names: InvalidPDFException ("Invalid PDF structure."), FormatError, UnknownErrorException.
  return new CorruptFileError(`the PDF is damaged and could not be read (${reply.message.replace(/\.$/, '')})`);
}
