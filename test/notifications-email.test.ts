import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import { sendDueNotifications } from '../src/features/notifications/sender.js';
import { EmailError } from '../src/providers/email/email-error.js';
import { logEmail } from '../src/providers/email/log-email.js';
import { smtpEmail } from '../src/providers/email/smtp-email.js';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
let down: Harness;
// h: no SMTP_URL, emails are logged, not sent. down: an SMTP_URL where no server listens. Role api: nothing runs in the background.
beforeAll(async () => {
  h = await startHarness({}, { role: 'api' });
  down = await startHarness({ SMTP_URL: 'smtp://127.0.0.1:1' }, { role: 'api' });
});
afterAll(async () => {
  await h.close();
  await down.close();
});

describe('without SMTP_URL', () => {
  it('says so in the settings, and a test notification is logged, not sent', async () => {
    const { key, email } = await h.signup();
    expect((await h.request('GET', '/get_notification_settings', { key })).body.delivery).toBe('logged');
    // No parameters: an empty body will do.
    const res = await h.request('POST', '/send_test_notification', { key });
    expect(res.status).toBe(200);
    expect((await h.request('POST', '/send_test_notification', { key, body: { to: 'x@example.com' } })).status).toBe(400);
    expect(res.body).toEqual({ sent: false, delivery: 'logged', to: [email], message_id: null, message: expect.stringContaining('logged, not sent') });
  });

  it('logs the recipients and subject at info, never the text', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
    await logEmail(log).send({ to: ['ops@example.com'], subject: 'A fan is waiting', text: 'conversation conv_x needs a person' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, to: ['ops@example.com'], subject: 'A fan is waiting' });
    expect(lines[0]).not.toContain('conv_x');
  });
});

describe('SMTP adapter', () => {
  it('reports a server it cannot reach as a temporary SMTP error, without the URL\'s password', async () => {
    const port = smtpEmail('smtp://user:hunter2@127.0.0.1:1', 'sinth <no-reply@localhost>');
    const err = await port.send({ to: ['a@example.com'], subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailError);
    expect(err).toMatchObject({ provider: 'SMTP', permanent: false, type: 'provider_error' });
    expect((err as Error).message).toMatch(/^SMTP: could not talk to the server/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('when no server answers, keeps the email for a retry and leaves the rest of the batch untried', async () => {
    const { accountId } = await down.signup();
    const ids = [newId('ntf'), newId('ntf'), newId('ntf')];
    await down.database.db
      .insertInto('notifications')
      .values(ids.map((id) => ({ id, account_id: accountId, kind: 'payment_failed', dedupe_key: id, data: '{}', next_attempt_at: new Date(Date.now() - 1000), window_started_at: new Date(), updated_at: new Date() })))
      .execute();
    expect(await sendDueNotifications(down.deps)).toBe(0);
    const rows = await down.database.db.selectFrom('notifications').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
    // An outage is not the email's fault: the one tried did not use up an attempt either.
    expect(rows.map((r) => `${r.status} ${r.attempts}`)).toEqual(['pending 0', 'pending 0', 'pending 0']);
    for (const r of rows) {
      expect(r.last_error).toMatch(/^SMTP: could not talk to the server/);
      expect(r.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
    }
    // Tried again and again while the server stays away: still no attempt counted, still waiting.
    for (let i = 0; i < 5; i++) {
      await down.database.db.updateTable('notifications').set({ next_attempt_at: new Date(Date.now() - 1000) }).where('account_id', '=', accountId).execute();
      await sendDueNotifications(down.deps);
    }
    const later = await down.database.db.selectFrom('notifications').select(['status', 'attempts']).where('account_id', '=', accountId).execute();
    expect(later.map((r) => `${r.status} ${r.attempts}`)).toEqual(['pending 0', 'pending 0', 'pending 0']);
  });

  it('gives up an email the server stayed unreachable for a day after its event', async () => {
    const { accountId } = await down.signup();
    const [oldId, newId_] = [newId('ntf'), newId('ntf')];
    const due = new Date(Date.now() - 1000);
    await down.database.db
      .insertInto('notifications')
      .values([
        { id: oldId, account_id: accountId, kind: 'payment_failed', dedupe_key: oldId, data: '{}', next_attempt_at: new Date(Date.now() - 2000), window_started_at: new Date(Date.now() - 25 * 3_600_000), updated_at: new Date() },
        { id: newId_, account_id: accountId, kind: 'payment_failed', dedupe_key: newId_, data: '{}', next_attempt_at: due, window_started_at: new Date(Date.now() - 23 * 3_600_000), updated_at: new Date() },
      ])
      .execute();
    await sendDueNotifications(down.deps); // the older one first: given up, the rest of the batch waits
    await down.database.db.updateTable('notifications').set({ next_attempt_at: due }).where('id', '=', newId_).execute();
    await sendDueNotifications(down.deps);
    const rows = await down.database.db.selectFrom('notifications').select(['id', 'status', 'attempts', 'last_error']).where('account_id', '=', accountId).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(oldId)).toMatchObject({ status: 'failed', attempts: 0, last_error: expect.stringContaining('24 hours') });
    expect(byId.get(newId_)).toMatchObject({ status: 'pending', attempts: 0 });
  });
});
