/** Bounds that keep one hostile or huge file from exhausting the process that parses it. */
export interface ParseLimits {
  /** Characters of extracted text; past it the file is refused rather than silently cut short. */
  maxTextChars: number;
  maxPdfPages: number;
  /** Wall-clock limit for one PDF or DOCX parse; its worker thread is killed when it passes. */
  timeoutMs: number;
  /** Heap of that worker thread, so a decompression bomb fails there and not in the server. */
  workerMemoryMb: number;
  /** Sum of a DOCX's uncompressed parts as its ZIP directory declares them (the worker bounds liars). */
  maxUnzippedBytes: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxTextChars: 20_000_000,
  maxPdfPages: 2_000,
  timeoutMs: 60_000,
  workerMemoryMb: 512,
  maxUnzippedBytes: 200 * 1024 * 1024,
};

export const resolveLimits = (overrides?: Partial<ParseLimits>): ParseLimits => ({ ...DEFAULT_PARSE_LIMITS, ...overrides });

export const formatCount = (n: number) => n.toLocaleString('en-US');
