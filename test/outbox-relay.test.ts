import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../src/core/context.js';
import { emitEvent } from '../src/core/events.js';
import { relayOutbox, type OutboxConsumer, type OutboxEvent } from '../src/features/outbox/relay.js';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
// Role api: no worker loop relays behind the test's back.
beforeAll(async () => (h = await startHarness({}, { role: 'api' })));
afterAll(() => h.close());

async function emit(accountId: string, n: number) {
  const ctx = systemContext(h.deps, accountId);
  await h.database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) await emitEvent(trx, ctx, 'user.created', { bot_id: 'bot_x', user_id: `u${i}` });
  });
}
const pending = (accountId: string) => h.database.db.selectFrom('outbox_events').select('id').where('account_id', '=', accountId).where('dispatched_at', 'is', null).execute();

describe('outbox relay', () => {
  it('hands every event to every consumer once, in order, and marks them relayed', async () => {
    const { accountId } = await h.signup();
    await h.database.db.updateTable('outbox_events').set({ dispatched_at: new Date() }).where('dispatched_at', 'is', null).execute();
    await emit(accountId, 5);
    const seen: OutboxEvent[] = [];
    const consumer: OutboxConsumer = { name: 'test', consume: async (_trx, events) => void seen.push(...events) };
    expect(await relayOutbox(h.database.db, [consumer], 3)).toBe(3);
    expect(await relayOutbox(h.database.db, [consumer], 3)).toBe(2);
    expect(await relayOutbox(h.database.db, [consumer], 3)).toBe(0);
    expect(seen.map((e) => (e.payload as any).data.user_id)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    expect(await pending(accountId)).toHaveLength(0);
  });

  it('leaves the events for the next try when a consumer fails, and what that consumer wrote is undone', async () => {
    const { accountId } = await h.signup();
    await h.database.db.updateTable('outbox_events').set({ dispatched_at: new Date() }).where('dispatched_at', 'is', null).execute();
    await emit(accountId, 2);
    const writes: OutboxConsumer = { name: 'writes', consume: async (trx) => void (await trx.insertInto('suppressions').values({ account_id: accountId, phone: '+14155550111', reason: 'test' }).execute()) };
    const fails: OutboxConsumer = { name: 'fails', consume: async () => Promise.reject(new Error('down')) };
    await expect(relayOutbox(h.database.db, [writes, fails])).rejects.toThrow('down');
    expect(await pending(accountId)).toHaveLength(2);
    expect(await h.database.db.selectFrom('suppressions').select('phone').where('account_id', '=', accountId).execute()).toHaveLength(0);
  });
});
