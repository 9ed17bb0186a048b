import type { Config } from '../../config.js';
import { unprocessable } from '../../core/errors.js';
import type { NumberRow } from '../sms/index.js';
import { importedTwilioCredentials, platformTwilioCredentials } from '../twilio-client.js';
import type { VoicePort } from './port.js';
import { sinchVoice, sinchVoiceCredentials } from './sinch-voice.js';
import { twilioVoice } from './twilio-voice.js';

/**
 * The provider that places and ends calls from `number`: Sinch, or Twilio (the account an imported
 * number lives in, else the platform's). Without the credentials the answer is a 422 naming the fix,
 * never a call that pretends to be placed.
 */
export function voiceProviderFor(config: Config, number: NumberRow, region: string): VoicePort {
  if (number.provider === 'sinch') {
    const sinch = sinchVoiceCredentials(config);
    if (!sinch) throw unprocessable('sinch_voice_not_configured', 'Sinch Voice is not configured on this server: set SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET.', 'bot_id');
    return sinchVoice(sinch, region);
  }
  if (number.provider === 'twilio') {
    if (number.source === 'imported') {
      let own;
      try {
        own = importedTwilioCredentials(config, number);
      } catch {
        // SecretDecryptError: SECRET_KEY changed since the import.
      }
      if (!own) throw unprocessable('twilio_credentials_unreadable', `The stored Twilio credentials of ${number.phone_number} cannot be read (was SECRET_KEY changed?); import the number again.`, 'bot_id');
      return twilioVoice(config, own);
    }
    const platform = platformTwilioCredentials(config);
    if (!platform) throw unprocessable('twilio_not_configured', 'Twilio is not configured on this server: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.', 'bot_id');
    return twilioVoice(config, platform);
  }
  throw unprocessable('no_voice_provider', `${number.phone_number} cannot make calls (a ${number.provider} number).`, 'bot_id');
}
