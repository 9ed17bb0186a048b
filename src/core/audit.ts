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

/** Who made a change: a request's key or session, or the system (a job, an operator's command). */
export interface AuditActor {
  actorType: string;
  actorId: string | null;
  requestId?: string | null;
  ip?: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { actorType: 'system', actorId: null };

/** The audit row of a change to `accountId` made by `by`. */
export function auditRow(accountId: string, by: AuditActor, entry: AuditEntry): Insertable<AuditLogsTable> {
  return {
    id: newId('log'),
    account_id: entry.accountId ?? accountId,
    actor_type: by.actorType,
    actor_id: by.actorId,
    action: entry.action,
    object_type: entry.objectType ?? null,
    object_id: entry.objectId ?? null,
    request_id: by.requestId ?? null,
    ip: by.ip ?? null,
    details: entry.details ? JSON.stringify(entry.details) : null,
  };
}

/** The audit row for a change, for services that insert it as part of a larger statement. */
export function auditValues(ctx: ServiceContext, entry: AuditEntry): Insertable<AuditLogsTable> {
  return auditRow(ctx.accountId, { actorType: ctx.actor.type, actorId: ctx.actor.id, requestId: ctx.requestId, ip: ctx.ip }, entry);
}

/** Writes one audit row. Call it with the transaction that makes the change, so both land or neither does. */
export async function writeAudit(trx: Transaction<DB>, ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  await trx.insertInto('audit_logs').values(auditValues(ctx, entry)).execute();
}
