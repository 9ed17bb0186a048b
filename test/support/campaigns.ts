import { newId } from '../../src/core/ids.js';
import type { Harness } from './harness.js';
import { randomUsNumber, type FakeTwilio } from './fake-twilio.js';

export interface UserSpec {
  phone?: string | null;
  name?: string | null;
  tags?: string[];
  attributes?: Record<string, unknown>;
  opted_out?: boolean;
  age_verified?: boolean;
}

/** A new account with a bot texting from its own Twilio number (the fake owns it, as Twilio would). */
export async function campaignSender(h: Harness, fake: FakeTwilio) {
  const { key, accountId, email, password } = await h.signup();
  const bot = await h.createBot(key);
  const from = randomUsNumber('628');
  fake.addOwned(fake.account.sid, from);
  await h.deps.db
    .insertInto('phone_numbers')
    .values({ id: newId('num'), account_id: accountId, phone_number: from, provider: 'twilio', source: 'purchased', bot_id: bot.bot_id, sms: true, voice: true })
    .execute();
  return { key, accountId, email, password, botId: bot.bot_id as string, from };
}

/** Consecutive numbers in one random US exchange (of the given area code): distinct within a test. */
export function phoneNumbers(n: number, area = '415'): string[] {
  const exchange = 200 + Math.floor(Math.random() * 800);
  return Array.from({ length: n }, (_, i) => `+1${area}${exchange}${String(i).padStart(4, '0')}`);
}

/** End users inserted in bulk (the users API is tested elsewhere); user_id u0, u1, … */
export async function addEndUsers(h: Harness, s: { accountId: string; botId: string }, specs: UserSpec[]) {
  const rows = specs.map((u, i) => ({
    id: newId('usr'),
    account_id: s.accountId,
    bot_id: s.botId,
    user_id: `u${i}`,
    phone: u.phone === undefined ? null : u.phone,
    name: u.name ?? null,
    tags: u.tags ?? [],
    attributes: JSON.stringify(u.attributes ?? {}),
    opted_out: u.opted_out ?? false,
    age_verified: u.age_verified ?? false,
    updated_at: new Date(),
  }));
  for (let i = 0; i < rows.length; i += 500) await h.deps.db.insertInto('end_users').values(rows.slice(i, i + 500)).execute();
  return rows;
}
