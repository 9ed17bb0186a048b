import type { PdfRun } from './pdf-worker.js';

/**
 * Turns positioned text runs into Markdown: runs on one baseline become a line, lines close
 * together become a paragraph, and lines set clearly larger than the body text become headings
 * (largest size = #). A PDF has no structure of its own; these are the cues a reader uses too.
 */
interface Line {
  text: string;
  y: number;
  size: number;
}

const HEADING_RATIO = 1.15;
const PARAGRAPH_GAP_RATIO = 1.3;
const PAGE_NUMBER = /^(page\s+)?\d{1,4}(\s*(of|\/)\s*\d{1,4})?$|^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$/i;
/** Table-of-contents leaders ("Introduction . . . . 12"): noise to search. */
const DOT_LEADER = /(\s*\.){4,}\s*\d*\s*$/;
/** Lines repeated at the top or bottom of this share of pages are running headers and footers. */
const RUNNING_SHARE = 0.5;
const EDGE_LINES = 2;

/** A line opening with a bullet glyph starts a list item, whatever the spacing above it. */
const BULLET = /^[•◦▪▫■□●○‣⁃∙·–]\s*/;

const roundSize = (size: number) => Math.round(size * 2) / 2;

function linesOf(runs: PdfRun[]): Line[] {
  const lines: Line[] = [];
  let current: (Line & { endX: number }) | null = null;
  const flush = () => {
    const text = current?.text.replace(DOT_LEADER, '').replace(/\s+/g, ' ').trim();
    if (current && text && !PAGE_NUMBER.test(text)) lines.push({ text, y: current.y, size: current.size });
    current = null;
  };
  for (const [text, x, y, width, size, endsLine] of runs) {
    if (current && Math.abs(y - current.y) > 0.5 * Math.max(size, current.size, 1)) flush();
    if (text !== '') {
      if (!current) current = { text: '', y, size: 0, endX: x };
      else if (!/\s$/.test(current.text) && !/^\s/.test(text)) {
        // pdf.js drops the space between separately placed runs; a visible gap means there was one.
        const gap = x - current.endX;
        if (gap > size * 0.15 || gap < -size) current.text += ' ';
      }
      current.text += text;
      if (text.trim()) current.size = Math.max(current.size, size);
      current.endX = x + width;
    }
    if (endsLine) flush();
  }
  flush();
  return lines;
}

/** Drops running headers and footers: the same line (page numbers aside) at the edge of most pages. */
function withoutRunningLines(pages: Line[][]): Line[][] {
  if (pages.length < 3) return pages;
  const key = (line: Line) => line.text.toLowerCase().replace(/\d+/g, '#');
  const edges = (lines: Line[]) => new Set([...lines.slice(0, EDGE_LINES), ...lines.slice(-EDGE_LINES)].map(key));
  const seen = new Map<string, number>();
  for (const lines of pages) for (const text of edges(lines)) seen.set(text, (seen.get(text) ?? 0) + 1);
  const running = new Set([...seen].filter(([, count]) => count >= pages.length * RUNNING_SHARE).map(([text]) => text));
  if (running.size === 0) return pages;
  // The first page keeps them: there such a line is usually the document's own title.
  return pages.map((lines, page) => {
    if (page === 0) return lines;
    const edge = edges(lines);
    return lines.filter((line, i) => !(running.has(key(line)) && edge.has(key(line)) && (i < EDGE_LINES || i >= lines.length - EDGE_LINES)));
  });
}

/** The size most of the text is set in (weighted by characters): the body size. */
function bodySizeOf(pages: Line[][]): number {
  const weight = new Map<number, number>();
  for (const line of pages.flat()) weight.set(roundSize(line.size), (weight.get(roundSize(line.size)) ?? 0) + line.text.length);
  let best = 0;
  let bestWeight = -1;
  for (const [size, chars] of weight) if (chars > bestWeight) [best, bestWeight] = [size, chars];
  return best;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? null;
}

const isHeadingText = (text: string) => text.length <= 200 && (text.match(/\p{L}/gu)?.length ?? 0) >= 2;

const joinLines = (paragraph: string, line: string) =>
  // "exam-" + "ple" was one word hyphenated at the line end; "well-" + "Known" may not be.
  /\p{L}-$/u.test(paragraph) && /^\p{Ll}/u.test(line) ? paragraph.slice(0, -1) + line : `${paragraph} ${line}`;

export function pdfRunsToMarkdown(runPages: PdfRun[][]): { markdown: string; firstHeading: string | null } {
  const pages = withoutRunningLines(runPages.map(linesOf));
  const body = bodySizeOf(pages);
  const isHeading = (line: Line) => body > 0 && line.size >= body * HEADING_RATIO && isHeadingText(line.text);
  const headingSizes = [...new Set(pages.flat().filter(isHeading).map((line) => roundSize(line.size)))].sort((a, b) => b - a);
  const levelOf = (line: Line) => Math.min(headingSizes.indexOf(roundSize(line.size)) + 1, 6);

  const gaps: number[] = [];
  for (const lines of pages) {
    for (let i = 1; i < lines.length; i++) {
      const [above, below] = [lines[i - 1]!, lines[i]!];
      if (!isHeading(above) && !isHeading(below) && above.y > below.y) gaps.push(above.y - below.y);
    }
  }
  const leading = median(gaps) ?? body * 1.2;

  const blocks: string[] = [];
  let firstHeading: string | null = null;
  for (const lines of pages) {
    let open: { text: string; heading: number; last: Line } | null = null;
    const close = () => {
      if (open) blocks.push(open.heading ? `${'#'.repeat(open.heading)} ${open.text}` : open.text);
      open = null;
    };
    for (const line of lines) {
      const heading = isHeading(line) ? levelOf(line) : 0;
      if (heading && firstHeading === null) firstHeading = line.text;
      if (open) {
        const last: Line = open.last;
        const gap = last.y - line.y;
        const sameKind = open.heading === heading && Math.abs(last.size - line.size) <= 0.1 * last.size;
        const limit = heading ? line.size * 1.6 : leading * PARAGRAPH_GAP_RATIO;
        // Upward moves are a new column or a new text box, and a wider gap is a new paragraph.
        if (!sameKind || gap <= 0 || gap > limit || BULLET.test(line.text)) close();
      }
      if (open) {
        open.text = joinLines(open.text, line.text);
        open.last = line;
      } else {
        open = { text: heading ? line.text : line.text.replace(BULLET, '- '), heading, last: line };
      }
    }
    close();
  }
  return { markdown: blocks.join('\n\n'), firstHeading };
}
