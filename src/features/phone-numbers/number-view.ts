import type { NumberRow } from '../../providers/sms/index.js';
import type { AvailableNumber, OwnedNumber } from '../../providers/numbers/port.js';

/** A number as the API shows it: never its provider credentials. */
export function toPhoneNumber(row: NumberRow) {
  return {
    number_id: row.id,
    phone_number: row.phone_number,
    provider: row.provider,
    source: row.source,
    bot_id: row.bot_id,
    capabilities: { sms: row.sms, voice: row.voice },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toAvailableNumber(n: AvailableNumber) {
  return { phone_number: n.phoneNumber, friendly_name: n.friendlyName, country: n.country, locality: n.locality, region: n.region, capabilities: n.capabilities };
}

export function toPoolNumber(n: OwnedNumber) {
  return { phone_number: n.phoneNumber, friendly_name: n.friendlyName, capabilities: n.capabilities };
}
