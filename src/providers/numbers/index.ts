import { publicBase } from '../../core/public-url.js';
import type { Config } from '../../config.js';
import { platformTwilioCredentials, type TwilioCredentials } from '../twilio-client.js';
import type { NumbersPort, NumberWebhooks } from './port.js';
import { twilioNumbers } from './twilio-numbers.js';

export type { NumbersPort, NumberWebhooks } from './port.js';

/** The platform's Twilio account (search, buy, the rentable pool), or null when it is not configured. */
export function platformNumbers(config: Config): NumbersPort | null {
  const credentials = platformTwilioCredentials(config);
  return credentials ? twilioNumbers(config, credentials) : null;
}

/** A customer's own Twilio account, for importing a number that lives there. */
export function accountNumbers(config: Config, credentials: TwilioCredentials): NumbersPort {
  return twilioNumbers(config, credentials);
}

/** The webhooks every Twilio number of this server points at, or null without PUBLIC_URL. */
export function twilioWebhooks(config: Config): NumberWebhooks | null {
  const base = publicBase(config);
  if (!base) return null;
  return { smsUrl: `${base}/webhooks/twilio/sms`, voiceUrl: `${base}/webhooks/twilio/voice`, voiceStatusUrl: `${base}/webhooks/twilio/voice/status` };
}
