import { randomBytes } from 'node:crypto';
import { newId } from '../../../src/core/ids.js';
import { PRICE, startFakeStripe, stripeEnv, writePlansFile, type FakeStripe } from '../fake-stripe.js';
import { randomUsNumber } from '../fake-twilio.js';
import { SINCH_SECRET } from '../sms.js';
import { caller, startVoiceWorld, voiceBot, type VoiceWorld } from '../voice.js';

/**
 * A server every provider callback of which verifies (PUBLIC_URL, the platform Twilio account, Sinch
 * Voice application credentials, the Sinch SMS webhook secret, the Stripe webhook secret), each
 * provider a fake, and objects its callbacks can name: numbers routed to a bot, live calls, sent
 * texts, a Stripe customer and subscription. Role `api`: no worker runs the jobs callbacks enqueue,
 * so nothing writes between two requests and a refusal's writes are its own.
 */

export interface CallbackKnown {
  accountId: string;
  /** An admin key of that account, for the cases that send one (callbacks take no key). */
  adminKey: string;
  /** Twilio and Sinch numbers (E.164), each routed to a bot, SMS and voice. */
  twilioNumber: string;
  sinchNumber: string;
  /** Calls in progress: Twilio's CallSid, Sinch's callid, and ours. */
  twilioCallSid: string;
  sinchCallId: string;
  ourCallIds: string[];
  /** Outbound texts in `sent`: our ids and the providers' (Twilio's MessageSid, Sinch's batch id). */
  smsIds: string[];
  twilioMessageSid: string;
  sinchBatchId: string;
  stripeCustomer: string;
  stripeSubscription: string;
  twilioAccountSid: string;
  twilioToken: string;
  sinchAppKey: string;
  sinchAppSecret: string;
}

export interface CallbackWorld extends VoiceWorld {
  stripe: FakeStripe;
  known: CallbackKnown;
}

export async function startCallbackWorld(): Promise<CallbackWorld> {
  const stripe = await startFakeStripe();
  const voice = await startVoiceWorld({ SINCH_SMS_WEBHOOK_SECRET: SINCH_SECRET, ...stripeEnv(stripe, writePlansFile()) }, { role: 'api' });
  const world: VoiceWorld = {
    ...voice,
    close: async () => {
      await voice.close();
      await stripe.close();
    },
  };
  const { h, tw, sinch } = world;

  const twilioBot = await voiceBot(world, { provider: 'twilio' });
  const sinchBot = await voiceBot(world, { provider: 'sinch' });
  const twilioCall = caller(world, 'twilio', twilioBot.number);
  const sinchCall = caller(world, 'sinch', sinchBot.number);
  for (const call of [twilioCall, sinchCall]) {
    const step = await call.start();
    if (step.status !== 200) throw new Error(`a simulated call did not start: ${step.status} ${step.problems.join('; ')}`);
  }
  const db = h.database.db;
  const calls = await db.selectFrom('calls').select('id').execute();

  const sent = async (bot: { accountId: string; botId: string; number: string }, provider: 'twilio' | 'sinch', providerId: string) => {
    const id = newId('sms');
    await db
      .insertInto('sms_messages')
      .values({ id, account_id: bot.accountId, bot_id: bot.botId, direction: 'outbound', from_number: bot.number, to_number: randomUsNumber(), body: 'Doors open at 8', provider, provider_message_id: providerId, status: 'sent', segments: 1, encoding: 'GSM-7', send_key: `test:${id}` })
      .execute();
    return id;
  };
  const twilioMessageSid = `SM${randomBytes(16).toString('hex')}`;
  const sinchBatchId = randomBytes(13).toString('hex').toUpperCase();
  const smsIds = [await sent(twilioBot, 'twilio', twilioMessageSid), await sent(sinchBot, 'sinch', sinchBatchId)];

  // A paying account, as after its checkout: its customer is in our table and the subscription at Stripe.
  const stripeCustomer = `cus_${twilioBot.accountId.slice(5)}`;
  await db.insertInto('subscriptions').values({ account_id: twilioBot.accountId, stripe_customer_id: stripeCustomer }).execute();
  const subscription = stripe.addSubscription({ customer: stripeCustomer, price: PRICE.pro, metadata: { account_id: twilioBot.accountId, plan_id: 'pro' } });

  return {
    ...world,
    stripe,
    known: {
      accountId: twilioBot.accountId,
      adminKey: twilioBot.key,
      twilioNumber: twilioBot.number,
      sinchNumber: sinchBot.number,
      twilioCallSid: twilioCall.callId,
      sinchCallId: sinchCall.callId,
      ourCallIds: calls.map((c) => c.id),
      smsIds,
      twilioMessageSid,
      sinchBatchId,
      stripeCustomer,
      stripeSubscription: subscription.id,
      twilioAccountSid: tw.account.sid,
      twilioToken: tw.account.token,
      sinchAppKey: sinch.appKey,
      sinchAppSecret: sinch.appSecret,
    },
  };
}
