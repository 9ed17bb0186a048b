import { z } from 'zod';
import { TABLE_NAMES } from './archive-tables.js';

/**
 * An account archive: gzip'd JSON lines. The first line is the header, then one line per row
 * (`{"t": table, "r": {column: value}}`, tables in the order of archive-tables.ts), and last the trailer
 * with the row counts and the SHA-256 of every line before it: a truncated or edited archive is refused
 * as a whole, before anything of it is committed.
 */
export const ARCHIVE_FORMAT = 'sinth-account';
export const ARCHIVE_VERSION = 1;

export const ArchiveHeader = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.number().int(),
  exported_at: z.iso.datetime(),
  /** The newest migration of the exporting server: its schema. */
  schema: z.string().min(1).max(200),
  account_id: z.string().min(1).max(100),
  tables: z.array(z.string()),
});
export type ArchiveHeader = z.infer<typeof ArchiveHeader>;

export const ArchiveRow = z.strictObject({
  t: z.enum(TABLE_NAMES as [string, ...string[]]),
  r: z.record(z.string(), z.unknown()),
});

export const ArchiveTrailer = z.strictObject({
  end: z.literal(true),
  rows: z.record(z.string(), z.number().int().nonnegative()),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** An archive this server cannot take: the message says what is wrong with it. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** The file name a download suggests. */
export const archiveFileName = (accountId: string, at: Date) => `sinth-account-${accountId}-${at.toISOString().slice(0, 10)}.jsonl.gz`;
