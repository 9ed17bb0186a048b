import type { Selectable } from 'kysely';
import type { Config } from '../../config.js';
import type { PhoneNumbersTable } from '../../db/schema.js';
import { unprocessable } from '../../core/errors.js';
import { importedTwilioCredentials, platformTwilioCredentials } from '../twilio-client.js';
import type { SmsPort } from './port.js';
import { sandboxSms } from './sandbox-sms.js';
import { sinchSms, sinchSmsCredentials } from './sinch-sms.js';
import { twilioSms } from './twilio-sms.js';

export type NumberRow = Selectable<PhoneNumbersTable>;

/** A port whose sends fail with `error`: the number cannot send, and saying so beats sending from elsewhere. */
const failing = (provider: SmsPort['provider'], error: Error): SmsPort => ({ provider, send: () => Promise.reject(error), findSent: () => Promise.reject(error) });

/**
 * Who sends from `number`, as smsProviderFor picks it, without building an SDK client or opening
 * stored credentials (an imported number is Twilio's whether or not its token still opens).
 */
export function smsProviderName(config: Config, number: NumberRow | null): SmsPort['provider'] {
  if (number?.provider === 'twilio' && (number.source === 'imported' || platformTwilioCredentials(config))) return 'twilio';
  if (number?.provider === 'sinch' && sinchSmsCredentials(config)) return 'sinch';
  return 'sandbox';
}

/**
 * The provider that sends from `number`: Twilio (the account an imported number lives in, else the
 * platform's), Sinch, or the sandbox when the number's provider is not configured (or there is no
 * number). Never throws: a number whose stored credentials do not open gets a port whose sends fail
 * with a 422-type error naming the fix.
 */
export function smsProviderFor(config: Config, number: NumberRow | null): SmsPort {
  if (number?.provider === 'twilio') {
    if (number.source === 'imported') {
      try {
        const own = importedTwilioCredentials(config, number);
        if (own) return twilioSms(config, own);
      } catch {
        // SecretDecryptError: SECRET_KEY changed since the import (or the row was tampered with).
      }
      return failing('twilio', unprocessable('twilio_credentials_unreadable', `The stored Twilio credentials of ${number.phone_number} cannot be read (was SECRET_KEY changed?); import the number again.`));
    }
    const platform = platformTwilioCredentials(config);
    if (platform) return twilioSms(config, platform);
  }
  if (number?.provider === 'sinch') {
    const sinch = sinchSmsCredentials(config);
    if (sinch) return sinchSms(sinch);
  }
  return sandboxSms();
}
