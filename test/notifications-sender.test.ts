import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import type { NotificationDraft } from '../src/features/notifications/drafts.js';
import { giveUpInterrupted, sendDueNotifications } from '../src/features/notifications/sender.js';
import { storeDrafts } from '../src/features/notifications/store.js';
import { startHarness, type Harness } from './support/harness.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';

let sink: SmtpSink;
let h: Harness;
// Role api: nothing runs in the background, the test calls the sender itself.
beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startHarness({ SMTP_URL: sink.url }, { role: 'api' });
});
afterAll(async () => {
  await h.close();
  await sink.close();
});

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
const rowsOf = (accountId: string) => h.database.db.selectFrom('notifications').selectAll().where('account_id', '=', accountId).orderBy('id').execute();

describe('a sender that dies mid-batch', () => {
  it('gives up only the email it was handing over; the ones it claimed but never tried are sent', async () => {
    const { accountId, email } = await h.signup();
    const [inFlight, ...untried] = [newId('ntf'), newId('ntf'), newId('ntf')].sort();
    const row = (id: string) => ({ id, account_id: accountId, kind: 'payment_failed', dedupe_key: id, data: JSON.stringify({ invoice_id: id }), window_started_at: minutesAgo(30), updated_at: new Date() });
    // What a dead sender leaves once its leases ran out: the email being sent is `sending`, the rest of
    // its batch still `pending` (claimed only).
    await h.database.db
      .insertInto('notifications')
      .values([{ ...row(inFlight!), status: 'sending', attempts: 1, next_attempt_at: minutesAgo(1) }, ...untried.map((id) => ({ ...row(id), next_attempt_at: minutesAgo(1) }))])
      .execute();
    await giveUpInterrupted(h.database.db);
    expect(await sendDueNotifications(h.deps)).toBe(2);
    const rows = await rowsOf(accountId);
    expect(rows.map((r) => [r.id, r.status, r.attempts])).toEqual([[inFlight, 'failed', 1], ...untried.map((id) => [id, 'sent', 1])]);
    const mails = sink.received.filter((m) => m.to.includes(email));
    // Each untried email once; the sender does not promise their order.
    expect(mails.map((m) => untried.find((id) => m.text.includes(id))).sort()).toEqual([...untried].sort());
  });

  it('leaves a claimed batch alone until its lease runs out, and sends what was folded in meanwhile', async () => {
    const { accountId, email } = await h.signup();
    const id = newId('ntf');
    const key = `takeover:conv_${id}`;
    // Claimed by a live sender (lease in the future): neither the sweep nor another sender touches it.
    await h.database.db
      .insertInto('notifications')
      .values({ id, account_id: accountId, kind: 'takeover_requested', dedupe_key: key, data: JSON.stringify({ conversation_id: `conv_${id}` }), window_started_at: minutesAgo(1), window_minutes: 5, next_attempt_at: new Date(Date.now() + 60_000), updated_at: new Date() })
      .execute();
    await giveUpInterrupted(h.database.db);
    await sendDueNotifications(h.deps);
    expect((await rowsOf(accountId)).map((r) => r.status)).toEqual(['pending']);
    // A takeover request folded in while claimed: the email, written when it goes out, counts it.
    await h.database.db.transaction().execute((trx) => storeDrafts(trx, h.deps.jobs, [draft(accountId, key, 1)]));
    await h.database.db.updateTable('notifications').set({ next_attempt_at: minutesAgo(0.1) }).where('id', '=', id).execute();
    expect(await sendDueNotifications(h.deps)).toBe(1);
    const [mail] = sink.received.filter((m) => m.to.includes(email));
    expect(mail!.text).toContain('2 messages arrived');
  });
});

function draft(accountId: string, dedupeKey: string, count: number, at = new Date()): NotificationDraft {
  return { accountId, kind: 'takeover_requested', dedupeKey, windowMinutes: 5, data: { conversation_id: dedupeKey.slice('takeover:'.length) }, count, windowStartedAt: at, sendAt: at };
}

describe('folding events into notifications', () => {
  for (const status of ['sending', 'sent'] as const) {
    it(`starts a new email for an event arriving while the last one is ${status}, sent when its window closes`, async () => {
      const { accountId } = await h.signup();
      const key = `takeover:conv_${newId('ntf')}`;
      const started = minutesAgo(2);
      await h.database.db
        .insertInto('notifications')
        .values({ id: newId('ntf'), account_id: accountId, kind: 'takeover_requested', dedupe_key: key, data: '{}', count: 2, status, attempts: 1, window_started_at: started, window_minutes: 5, next_attempt_at: new Date(Date.now() + 60_000), updated_at: new Date() })
        .execute();
      await h.database.db.transaction().execute((trx) => storeDrafts(trx, h.deps.jobs, [draft(accountId, key, 1)]));
      const [row] = await rowsOf(accountId);
      // Not added to the email already written: a new one with just this event, after the window.
      expect(row).toMatchObject({ status: 'pending', count: 1, attempts: 0, sent_at: null });
      expect(row!.next_attempt_at.getTime()).toBe(started.getTime() + 5 * 60_000);
    });
  }

  it('adds an event to an email not sent yet', async () => {
    const { accountId } = await h.signup();
    const key = `takeover:conv_${newId('ntf')}`;
    await h.database.db.transaction().execute((trx) => storeDrafts(trx, h.deps.jobs, [draft(accountId, key, 1)]));
    await h.database.db.transaction().execute((trx) => storeDrafts(trx, h.deps.jobs, [draft(accountId, key, 2)]));
    expect((await rowsOf(accountId)).map((r) => [r.status, r.count])).toEqual([['pending', 3]]);
  });
});
