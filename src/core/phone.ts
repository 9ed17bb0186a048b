import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { invalid } from './errors.js';

/** Returns the number in E.164 if it is a valid, dialable number written in E.164; else a 400 naming `param`. */
export function toE164(value: string, param: string): string {
  const trimmed = value.trim();
  if (!/^\+[1-9]\d{6,14}$/.test(trimmed)) throw invalid(param, `${param} must be an E.164 phone number such as +14155550123.`, 'invalid_phone_number');
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed?.isValid()) throw invalid(param, `${param} is not a valid phone number.`, 'invalid_phone_number');
  return parsed.number;
}
