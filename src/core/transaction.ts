import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServiceContext } from './context.js';
import { saveIdempotentResponse } from './http/idempotency.js';

/**
 * Runs a service's writes in one transaction and, when the request holds an Idempotency-Key, records the
 * result in that same transaction: a process that dies after the commit but before answering leaves a
 * replayable response, never a change that a retry would make a second time.
 */
export async function inTransaction<T>(ctx: ServiceContext, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(async (trx) => {
    const result = await work(trx);
    if (ctx.idempotency) await saveIdempotentResponse(trx, ctx.idempotency, 200, JSON.stringify(result));
    return result;
  });
}
