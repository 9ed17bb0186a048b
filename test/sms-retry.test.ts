import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { newId } from '../src/core/ids.js';
import { handleInboundSms } from '../src/features/sms/inbound-job.js';
import { randomUsNumber } from './support/fake-twilio.js';
import { postTwilio, randomSid, smsBot, smsJobsDone, smsRows, twilioInbound, twilioSentTo, until, useSmsWorld, type SmsWorld } from './support/sms.js';

// The inbound SMS job is retried by pg-boss after a crash or a database outage: the retry must do the
// work the failed run did not, and nothing the earlier run did twice.

let w: SmsWorld;
useSmsWorld((world) => {
  w = world;
});

const userMessages = (accountId: string) =>
  w.h.database.db.selectFrom('messages').select(['content', 'status']).where('account_id', '=', accountId).where('role', '=', 'user').execute();
const replies = async (botId: string) => (await smsRows(w, botId)).filter((r) => r.direction === 'outbound');

/** The first transaction the job opens fails as a lost connection would; everything else is the real database. */
function failingOnce(db: Kysely<DB>): Kysely<DB> {
  let failed = false;
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction' && !failed) {
        failed = true;
        return () => {
          throw new Error('Connection terminated unexpectedly');
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('inbound SMS job retries', () => {
  it('a run that failed after it began is redone by the retry: the text is stored and answered', async () => {
    const { botId, accountId, number } = await smsBot(w);
    const fan = randomUsNumber();
    const sms = await w.h.database.db
      .insertInto('sms_messages')
      .values({ id: newId('sms'), account_id: accountId, bot_id: botId, direction: 'inbound', from_number: fan, to_number: number, body: 'hello there', provider: 'twilio', provider_message_id: randomSid(), status: 'receiving', segments: 1, encoding: 'GSM-7' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(handleInboundSms({ ...w.h.deps, db: failingOnce(w.h.database.db) }, sms.id)).rejects.toThrow(/Connection terminated/);
    w.llm.next({ reply: 'Hi, good to hear from you.' });
    await handleInboundSms(w.h.deps, sms.id);
    expect(await userMessages(accountId)).toMatchObject([{ content: 'hello there', status: 'ok' }]);
    expect(await replies(botId)).toMatchObject([{ body: 'Hi, good to hear from you.', send_key: `reply:${sms.id}` }]);
    expect((await smsRows(w, botId)).find((r) => r.id === sms.id)?.status).toBe('received');
  });

  it('a run that died after doing the work but before marking the text handled changes nothing when retried', async () => {
    const { botId, accountId, number } = await smsBot(w);
    const fan = randomUsNumber();
    w.llm.next({ reply: 'Only once.' });
    await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, 'say it once', {}, w.tw.account.sid));
    await until(() => twilioSentTo(w, fan).length > 0, 'the reply');
    await smsJobsDone(w);
    const inbound = (await smsRows(w, botId)).find((r) => r.direction === 'inbound')!;
    // As a worker killed just before the end leaves it, then its retry, twice over.
    await w.h.database.db.updateTable('sms_messages').set({ status: 'receiving' }).where('id', '=', inbound.id).execute();
    w.llm.next({ reply: 'A second answer.' });
    await handleInboundSms(w.h.deps, inbound.id);
    await handleInboundSms(w.h.deps, inbound.id);
    await smsJobsDone(w);
    expect(await userMessages(accountId)).toMatchObject([{ content: 'say it once' }]);
    expect(await replies(botId)).toMatchObject([{ body: 'Only once.' }]);
    expect(twilioSentTo(w, fan)).toHaveLength(1);
    expect(w.llm.requests.filter((r) => r.messages)).toHaveLength(1);
  });
});
