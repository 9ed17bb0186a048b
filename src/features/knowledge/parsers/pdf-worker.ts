import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One text run as pdf.js reports it: [text, x, y, width, font size, ends a line (1/0)]. */
export type PdfRun = [string, number, number, number, number, 0 | 1];

export interface PdfWorkerResult {
  title: string | null;
  pages: PdfRun[][];
}

const require = createRequire(import.meta.url);
const pdfjsRoot = dirname(require.resolve('pdfjs-dist/package.json'));

/** Where pdf.js lives, resolved here because an eval'd worker cannot resolve package names itself. */
export const pdfWorkerPaths = {
  pdfjsUrl: pathToFileURL(join(pdfjsRoot, 'legacy', 'build', 'pdf.mjs')).href,
  // Local files only (pdf.js reads them with fs in Node): CJK text needs the CMaps to map to Unicode.
  cMapUrl: join(pdfjsRoot, 'cmaps') + sep,
  standardFontDataUrl: join(pdfjsRoot, 'standard_fonts') + sep,
};

/**
 * Runs in a worker thread (see bounded-worker.ts). pdf.js's own "fake worker" runs in this thread,
 * which is what we want: the thread is the sandbox. No eval (isEvalSupported: false), no fonts
 * installed, no network. It stops early when the page or character limit is passed.
 */
export const PDF_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { bytes, pdfjsUrl, cMapUrl, standardFontDataUrl, maxPages, maxTextChars } = workerData;
  const pdfjs = await import(pdfjsUrl);
  const doc = await pdfjs.getDocument({
    data: bytes, isEvalSupported: false, disableFontFace: true, useSystemFonts: false,
    useWorkerFetch: false, isOffscreenCanvasSupported: false, verbosity: 0,
    cMapUrl, cMapPacked: true, standardFontDataUrl,
  }).promise;
  if (doc.numPages > maxPages) {
    parentPort.postMessage({ ok: false, limit: true, name: 'pages', message: String(doc.numPages) });
    return;
  }
  const meta = await doc.getMetadata().catch(() => null);
  const title = meta && meta.info && typeof meta.info.Title === 'string' ? meta.info.Title : null;
  const pages = [];
  let chars = 0;
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    const runs = [];
    for (const item of content.items) {
      if (typeof item.str !== 'string') continue;
      const [a, b, c, d, x, y] = item.transform;
      runs.push([item.str, x, y, item.width, Math.hypot(c, d) || Math.hypot(a, b), item.hasEOL ? 1 : 0]);
      chars += item.str.length;
    }
    if (chars > maxTextChars) {
      parentPort.postMessage({ ok: false, limit: true, name: 'chars', message: String(chars) });
      return;
    }
    pages.push(runs);
    page.cleanup();
  }
  await doc.destroy();
  parentPort.postMessage({ ok: true, result: { title, pages } });
})().catch((err) => {
  parentPort.postMessage({ ok: false, name: String((err && err.name) || 'Error'), message: String((err && err.message) || err) });
});
`;
