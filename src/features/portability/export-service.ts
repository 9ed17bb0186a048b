import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { auditRow, type AuditActor } from '../../core/audit.js';
import { archiveFileName } from './archive-format.js';
import { exportAccountArchive, type ExportSummary } from './export-account.js';

/**
 * The account's own archive, for download. It is written to a private temporary file first and sent
 * from there: the database snapshot is held only while the file is written (not while a slow client
 * reads), and a failure is an error response rather than a cut download that looks complete.
 */
export async function exportAccountData({ ctx }: { ctx: ServiceContext }) {
  const dir = await mkdtemp(join(tmpdir(), 'sinth-export-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'archive.jsonl.gz');
    const file = await open(path, 'wx', 0o600);
    const summary = await exportAccountArchive(ctx.db, ctx.accountId, file.createWriteStream());
    await recordExport(ctx.db, summary, { actorType: ctx.actor.type, actorId: ctx.actor.id, requestId: ctx.requestId, ip: ctx.ip });
    const { size } = await stat(path);
    const stream = createReadStream(path);
    stream.once('close', () => void cleanup());
    return { stream, size, fileName: archiveFileName(ctx.accountId, new Date(summary.exported_at)) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The audit row of an export (who took the account's data, and how much of it). */
export async function recordExport(db: Kysely<DB>, summary: ExportSummary, by: AuditActor): Promise<void> {
  const entry = { action: 'account.exported', objectType: 'account', objectId: summary.account_id, details: { schema: summary.schema, rows: summary.rows } };
  await db.insertInto('audit_logs').values(auditRow(summary.account_id, by, entry)).execute();
}
