import { describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import { GIVE_UP_AFTER_MS, LOST_SEND_MARGIN_SECONDS, reconcileSms } from '../src/features/sms/reconcile-service.js';
import { randomUsNumber } from './support/fake-twilio.js';
import { smsBot, smsJobsDone, until, useSmsWorld, type SmsWorld } from './support/sms.js';

// Sends whose outcome was lost (the process died between the claim and the provider's answer): the
// sweep asks the provider, records what it took and sends again only what it never got.

let w: SmsWorld;
useSmsWorld((world) => {
  w = world;
});

type Provider = 'twilio' | 'sinch';
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
const readRow = (id: string) => w.h.database.db.selectFrom('sms_messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** What the provider's fake received for `to`: one entry per message. */
const received = (provider: Provider, to: string) =>
  provider === 'twilio' ? w.tw.sent.filter((m) => m.to === to).map((m) => ({ id: m.sid, body: m.body })) : w.sinch.sent.filter((b) => b.to.includes(to)).map((b) => ({ id: b.id, body: b.body }));

/** A row as a send killed just after its claim leaves it: `sending`, no provider id, claimed `claimedSecondsAgo` (and made `madeSecondsAgo`). */
async function lostRow(provider: Provider, claimedSecondsAgo: number, madeSecondsAgo = claimedSecondsAgo) {
  const { accountId, botId, number } = await smsBot(w, { provider });
  const fan = randomUsNumber();
  const id = newId('sms');
  await w.h.database.db
    .insertInto('sms_messages')
    .values({
      id,
      account_id: accountId,
      bot_id: botId,
      direction: 'outbound',
      from_number: number,
      to_number: fan,
      body: 'Doors open at 8',
      provider,
      status: 'sending',
      segments: 1,
      encoding: 'GSM-7',
      send_key: `test:${id}`,
      created_at: ago(madeSecondsAgo),
      updated_at: ago(claimedSecondsAgo),
    })
    .execute();
  return { id, fan, provider, accountId };
}

describe.each(['twilio', 'sinch'] as const)('reconciling lost sends (%s)', (provider) => {
  it('a text the provider never got is queued again and sent exactly once', async () => {
    const { id, fan } = await lostRow(provider, LOST_SEND_MARGIN_SECONDS * 2);
    await reconcileSms(w.h.deps);
    const row = await until(async () => {
      const r = await readRow(id);
      return r.provider_message_id !== null && r;
    }, 'the text to be sent again');
    await smsJobsDone(w);
    // A second sweep finds nothing left to settle.
    await reconcileSms(w.h.deps);
    await smsJobsDone(w);
    expect(received(provider, fan)).toEqual([{ id: row.provider_message_id, body: 'Doors open at 8' }]);
    expect(row.status).toBe('sending');
  });

  it('a text the provider did get (its answer lost) is recorded and not sent again', async () => {
    const { key, botId } = await smsBot(w, { provider });
    const fan = randomUsNumber();
    const res = await w.h.request('POST', '/send_sms', { key, body: { bot_id: botId, to: fan, body: 'See you tonight' } });
    expect(res.status).toBe(200);
    const id: string = res.body.sms_id;
    const sent = await until(async () => (await readRow(id)).provider_message_id, 'the first send');
    await smsJobsDone(w);
    // The provider took it; the answer never made it to the row (a kill after the request left).
    const old = ago(LOST_SEND_MARGIN_SECONDS * 2);
    await w.h.database.db.updateTable('sms_messages').set({ provider_message_id: null, status: 'sending', created_at: old, updated_at: old }).where('id', '=', id).execute();

    await reconcileSms(w.h.deps);
    await smsJobsDone(w);
    expect(await readRow(id)).toMatchObject({ status: 'sending', provider_message_id: sent });
    expect(received(provider, fan)).toEqual([{ id: sent, body: 'See you tonight' }]);
  });

  it('a send claimed within the margin (perhaps merely slow) is left alone', async () => {
    const { id, fan } = await lostRow(provider, 1);
    await reconcileSms(w.h.deps);
    await smsJobsDone(w);
    expect(await readRow(id)).toMatchObject({ status: 'sending', provider_message_id: null });
    expect(received(provider, fan)).toEqual([]);
  });
});

describe('reconciling lost sends, two sweepers at once', () => {
  it('each lost row is settled once: sent once in all', async () => {
    const rows = await Promise.all([lostRow('twilio', LOST_SEND_MARGIN_SECONDS * 2), lostRow('twilio', LOST_SEND_MARGIN_SECONDS * 2), lostRow('sinch', LOST_SEND_MARGIN_SECONDS * 2)]);
    await Promise.all([reconcileSms(w.h.deps), reconcileSms(w.h.deps)]);
    for (const r of rows) await until(async () => (await readRow(r.id)).provider_message_id, 'the text to be sent again');
    await smsJobsDone(w);
    expect(rows.map((r) => received(r.provider, r.fan).length)).toEqual([1, 1, 1]);
  });
});

describe('reconciling lost sends the provider cannot be asked about', () => {
  it('leaves them for the next sweep, and a day after they were made gives them up: failed, message.failed, never sent', async () => {
    const young = await lostRow('twilio', LOST_SEND_MARGIN_SECONDS * 2, 3600);
    const old = await lostRow('twilio', LOST_SEND_MARGIN_SECONDS * 2, GIVE_UP_AFTER_MS / 1000 + 3600);
    const lookups = () => w.tw.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/Messages.json')).length;
    const before = lookups();
    // Twilio fails both lookups.
    w.tw.failNext({ code: 20500, status: 500, message: 'Internal Server Error' }, { code: 20500, status: 500, message: 'Internal Server Error' });
    const result = await reconcileSms(w.h.deps);
    expect(lookups() - before).toBe(2);
    expect(result).toMatchObject({ found: 0, requeued: 0, unknown: 1, given_up: 1 });
    await smsJobsDone(w);

    expect(await readRow(young.id)).toMatchObject({ status: 'sending', provider_message_id: null, error_code: null });
    expect(await readRow(old.id)).toMatchObject({ status: 'failed', provider_message_id: null, error_code: 'outcome_unknown' });
    expect(received('twilio', young.fan)).toEqual([]);
    expect(received('twilio', old.fan)).toEqual([]);
    const failed = await w.h.database.db.selectFrom('outbox_events').select('payload').where('account_id', '=', old.accountId).where('type', '=', 'message.failed').execute();
    expect(failed.map((e) => (e.payload as any).data)).toMatchObject([{ sms_id: old.id, status: 'failed', error_code: 'outcome_unknown' }]);
  });
});
