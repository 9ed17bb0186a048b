import type { Config } from '../../config.js';
import { callTwilio, twilioClient, type TwilioCredentials } from '../twilio-client.js';
import type { AvailableNumber, NumberCapabilities, NumbersPort, NumberWebhooks, OwnedNumber } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/** Numbers on a Twilio account (the platform's, or a customer's own for an import), on the official SDK. */

interface TwilioNumberLike {
  sid?: string;
  phoneNumber: string;
  friendlyName: string;
  capabilities?: unknown;
  isoCountry?: string;
  locality?: string | null;
  region?: string | null;
  smsUrl?: string | null;
  voiceUrl?: string | null;
}

/** Twilio spells capability keys `SMS`/`MMS` on available numbers and `sms`/`mms` on owned ones. */
function capabilities(raw: unknown): NumberCapabilities {
  const c = (raw ?? {}) as Record<string, unknown>;
  const flag = (name: string) => Boolean(c[name] ?? c[name.toUpperCase()]);
  return { sms: flag('sms'), voice: flag('voice'), mms: flag('mms') };
}

const available = (n: TwilioNumberLike): AvailableNumber => ({
  phoneNumber: n.phoneNumber,
  friendlyName: n.friendlyName,
  country: n.isoCountry ?? '',
  locality: n.locality || null,
  region: n.region || null,
  capabilities: capabilities(n.capabilities),
});

const owned = (n: TwilioNumberLike): OwnedNumber => ({
  sid: n.sid ?? '',
  phoneNumber: n.phoneNumber,
  friendlyName: n.friendlyName,
  capabilities: capabilities(n.capabilities),
  smsUrl: n.smsUrl || null,
  voiceUrl: n.voiceUrl || null,
});

const hookFields = (w: NumberWebhooks) => ({
  smsUrl: w.smsUrl,
  smsMethod: 'POST',
  voiceUrl: w.voiceUrl,
  voiceMethod: 'POST',
  statusCallback: w.voiceStatusUrl,
  statusCallbackMethod: 'POST',
});

export function twilioNumbers(config: Config, credentials: TwilioCredentials): NumbersPort {
  const client = twilioClient(config, credentials);
  // The three lists take the same options but are typed apart, so each is called by name.
  const searchList = (q: Parameters<NumbersPort['search']>[0]): Promise<TwilioNumberLike[]> => {
    const options = {
      ...(q.areaCode ? { areaCode: Number(q.areaCode) } : {}),
      ...(q.contains ? { contains: q.contains } : {}),
      ...(q.sms !== undefined ? { smsEnabled: q.sms } : {}),
      ...(q.voice !== undefined ? { voiceEnabled: q.voice } : {}),
      limit: q.limit,
    };
    const country = client.availablePhoneNumbers(q.country);
    if (q.type === 'toll_free') return country.tollFree.list(options);
    if (q.type === 'mobile') return country.mobile.list(options);
    return country.local.list(options);
  };
  return instrumented('twilio', {
    provider: 'twilio',
    async search(q) {
      return (await callTwilio(() => searchList(q))).map(available);
    },
    async listOwned() {
      const all = await callTwilio(() => client.incomingPhoneNumbers.list({ pageSize: 1000 }));
      return all.map(owned);
    },
    async findOwned(phoneNumber) {
      // The filter matches partial numbers too: keep only the exact one.
      const found = await callTwilio(() => client.incomingPhoneNumbers.list({ phoneNumber, limit: 20 }));
      const hit = found.find((n) => n.phoneNumber === phoneNumber);
      return hit ? owned(hit) : null;
    },
    async purchase(phoneNumber, webhooks) {
      return owned(await callTwilio(() => client.incomingPhoneNumbers.create({ phoneNumber, ...hookFields(webhooks) })));
    },
    async setWebhooks(sid, webhooks) {
      return owned(await callTwilio(() => client.incomingPhoneNumbers(sid).update(hookFields(webhooks))));
    },
    async release(sid) {
      await callTwilio(() => client.incomingPhoneNumbers(sid).remove());
    },
  });
}
