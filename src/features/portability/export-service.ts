import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { newId } from '../../core/ids.js';
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
export async function recordExport(db: Kysely<DB>, summary: ExportSummary, by: { actorType: string; actorId: string | null; requestId?: string | null; ip?: string | null }): Promise<void> {
  await db
    .insertInto('audit_logs')
    .values({
      id: newId('log'),
      account_id: summary.account_id,
      actor_type: by.actorType,
      actor_id: by.actorId,
      action: 'account.exported',
      object_type: 'account',
      object_id: summary.account_id,
      request_id: by.requestId ?? null,
      ip: by.ip ?? null,
      details: JSON.stringify({ schema: summary.schema, rows: summary.rows }),
    })
    .execute();
}
