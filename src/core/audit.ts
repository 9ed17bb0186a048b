import type { Insertable, Transaction } from 'kysely';
import type { AuditLogsTable, DB } from '../db/schema.js';
import type { ServiceContext } from './context.js';
import { newId } from './ids.js';

export interface AuditEntry {
  action: string;
  objectType?: string;
  objectId?: string;
  details?: Record<string, unknown>;
  /** Defaults to the context's account; set when the row belongs to another (a claimed bot's new owner). */
  accountId?: string;
}

/** The audit row for a change, for services that insert it as part of a larger statement. */
export function auditValues(ctx: ServiceContext, entry: AuditEntry): Insertable<AuditLogsTable> {
  return {
    id: newId('log'),
    account_id: entry.accountId ?? ctx.accountId,
    actor_type: ctx.actor.type,
    actor_id: ctx.actor.id,
    action: entry.action,
    object_type: entry.objectType ?? null,
    object_id: entry.objectId ?? null,
    request_id: ctx.requestId,
    ip: ctx.ip,
    details: entry.details ? JSON.stringify(entry.details) : null,
  };
}

/** Writes one audit row. Call it with the transaction that makes the change, so both land or neither does. */
export async function writeAudit(trx: Transaction<DB>, ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  await trx.insertInto('audit_logs').values(auditValues(ctx, entry)).execute();
}
