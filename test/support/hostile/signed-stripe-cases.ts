import fc from 'fast-check';
import Stripe from 'stripe';
import { PRICE } from '../fake-stripe.js';
import { json, keyArb, type Case } from './case.js';
import type { CallbackKnown } from './callback-world.js';
import { hostileJson } from './hostile-values.js';
import { MALFORMED_JSON, withMember } from './json-cases.js';
import { bigString, hexString, orHostileJson, PROTOTYPE_WORDS, prototypeSweep, signedStripe, someFields, strangeKey, words } from './signed-requests.js';

/**
 * Stripe events, validly signed: the types billing acts on and unknown ones, with hostile ids,
 * customers, subscriptions, metadata, amounts and times (negative, fractional, past year 275760),
 * fields missing or of the wrong type, `__proto__` members, and bodies that are not events at all.
 */

const LIMIT = 512 * 1024;
const ACTED_ON = ['checkout.session.completed', 'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', 'invoice.payment_failed'];
const word = (...w: string[]) => words(w, hostileJson);
const seconds = orHostileJson(fc.constantFrom(Math.floor(Date.now() / 1000), 1_700_000_000, 0, -1, 1.5, 1e13, 8.64e12 + 1, 1e308, 2 ** 63));

function objectFields(known: CallbackKnown): Record<string, fc.Arbitrary<unknown>> {
  const customer = fc.oneof(fc.constant(known.stripeCustomer), fc.constant({ id: known.stripeCustomer }), hexString(14).map((h) => `cus_${h}`));
  const subscription = fc.oneof(fc.constant(known.stripeSubscription), fc.constant({ id: known.stripeSubscription }), hexString(14).map((h) => `sub_${h}`));
  const metadata = fc.record({ account_id: orHostileJson(fc.constant(known.accountId)), plan_id: word('pro', 'creator', 'free', 'enterprise') }, { requiredKeys: [] });
  return {
    id: orHostileJson(fc.oneof(fc.constant(known.stripeSubscription), hexString(14).map((h) => `sub_${h}`), hexString(14).map((h) => `cs_test_${h}`), hexString(14).map((h) => `in_${h}`))),
    object: word('subscription', 'checkout.session', 'invoice'),
    customer: orHostileJson(customer),
    subscription: orHostileJson(subscription),
    status: word('active', 'trialing', 'past_due', 'canceled', 'incomplete', 'unpaid'),
    cancel_at_period_end: orHostileJson(fc.boolean()),
    metadata: orHostileJson(metadata),
    current_period_start: seconds,
    current_period_end: seconds,
    items: orHostileJson(
      fc.record({
        object: fc.constant('list'),
        data: orHostileJson(fc.array(fc.record({ price: orHostileJson(fc.record({ id: orHostileJson(fc.constantFrom(PRICE.pro, PRICE.creator, 'price_unknown')) })), current_period_start: seconds, current_period_end: seconds }), { maxLength: 2 })),
      }),
    ),
    client_reference_id: orHostileJson(fc.constant(known.accountId)),
    payment_status: word('paid', 'unpaid', 'no_payment_required'),
    mode: word('subscription'),
    parent: orHostileJson(fc.record({ subscription_details: orHostileJson(fc.record({ subscription: orHostileJson(subscription) })) })),
    amount_due: orHostileJson(fc.constantFrom(2900, 0, -1, 1.5, 1e308, 2 ** 63)),
    currency: word('usd', 'eur'),
    attempt_count: orHostileJson(fc.constantFrom(1, 0, -1, 2 ** 63)),
    next_payment_attempt: seconds,
  };
}

export function signedStripeCases(known: CallbackKnown): fc.Arbitrary<Case> {
  const fields = objectFields(known);
  const names = Object.keys(fields);
  const object = fc.tuple(someFields(fields, 3), fc.array(fc.tuple(strangeKey(names), hostileJson), { maxLength: 2 })).map(([record, extra]) => extra.reduce((text, [k, v]) => withMember(JSON.parse(text), k, v), json(record)));
  // The envelope is read whole before anything else: mostly whole, or few events would get further.
  const envelope = {
    id: orHostileJson(hexString(24).map((h) => `evt_${h}`), 12),
    object: orHostileJson(fc.constant('event')),
    api_version: orHostileJson(fc.constant(Stripe.API_VERSION)),
    created: orHostileJson(fc.constantFrom(Math.floor(Date.now() / 1000), 1_700_000_000, 0, -1, 1.5, 1e13, 1e308, 2 ** 63), 12),
    livemode: orHostileJson(fc.boolean()),
    type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...ACTED_ON) }, { weight: 1, arbitrary: fc.constantFrom('charge.succeeded', 'v2.core.event', 'a', 'x'.repeat(101), ...PROTOTYPE_WORDS) }, { weight: 1, arbitrary: hostileJson }),
  };
  // The object goes in as text, so that its strange members (`__proto__`) reach the server as written.
  const event = fc
    .tuple(
      fc.oneof({ weight: 6, arbitrary: fc.record(envelope) }, { weight: 1, arbitrary: someFields(envelope, 2) }),
      fc.oneof({ weight: 6, arbitrary: object }, { weight: 1, arbitrary: hostileJson.map((v) => json(v) ?? 'null') }),
      fc.oneof({ weight: 7, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    )
    .map(([env, obj, withData]) => (withData ? `${json(env).slice(0, -1)}${Object.keys(env).length ? ',' : ''}"data":{"object":${obj}}}` : json(env)));
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(event, keyArb).map(([payload, key]) => signedStripe('signed hostile event', key, payload)) },
    { weight: 1, arbitrary: fc.tuple(event, bigString(LIMIT), keyArb).map(([payload, big, key]) => signedStripe('signed event, huge member', key, withMember(JSON.parse(payload), 'padding', big))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...MALFORMED_JSON, '', '[]', 'null'), keyArb).map(([payload, key]) => signedStripe('signed malformed JSON', key, payload)) },
    { weight: 1, arbitrary: fc.tuple(hostileJson, keyArb).map(([v, key]) => signedStripe('signed JSON that is no event', key, json(v) ?? 'null')) },
  );
}

/** An event of a type billing does not act on: recorded, answered 200. */
export function plausibleStripe(): Case {
  return signedStripe('plausible', 'none', json({ id: `evt_${'d'.repeat(24)}`, object: 'event', api_version: Stripe.API_VERSION, created: Math.floor(Date.now() / 1000), livemode: false, type: 'charge.succeeded', data: { object: { id: 'ch_1', object: 'charge' } } }));
}

/** Each event type billing acts on, about the known customer, one field at a time set to each of SWEEP_WORDS (the event id made unique). */
export function sweepStripe(known: CallbackKnown): Case[] {
  const created = Math.floor(Date.now() / 1000);
  const subscription = { id: known.stripeSubscription, object: 'subscription', customer: known.stripeCustomer, status: 'active', cancel_at_period_end: false, metadata: { account_id: known.accountId, plan_id: 'pro' }, items: { object: 'list', data: [{ price: { id: PRICE.pro }, current_period_start: created, current_period_end: created + 86_400 }] } };
  const objects: Record<string, unknown> = {
    'checkout.session.completed': { id: 'cs_test_1', object: 'checkout.session', client_reference_id: known.accountId, customer: known.stripeCustomer, subscription: known.stripeSubscription, payment_status: 'paid', metadata: { plan_id: 'pro' } },
    'customer.subscription.updated': subscription,
    'invoice.payment_failed': { id: 'in_1', object: 'invoice', customer: known.stripeCustomer, parent: { subscription_details: { subscription: known.stripeSubscription } }, amount_due: 2900, currency: 'usd', attempt_count: 1, next_payment_attempt: created + 86_400 },
  };
  let n = 0;
  return Object.entries(objects).flatMap(([type, object]) =>
    prototypeSweep({ object: 'event', api_version: Stripe.API_VERSION, created, livemode: false, type, data: { object } }).map((v) =>
      signedStripe(`${type}, one field a prototype word`, 'none', json({ id: `evt_sweep${Date.now().toString(36)}${(n++).toString(36)}`, ...(v as object) })),
    ),
  );
}
