import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

export type IdPrefix = 'acct' | 'key' | 'bot' | 'usr' | 'conv' | 'msg' | 'src' | 'num' | 'call' | 'camp' | 'whk' | 'evt' | 'pv' | 'rr' | 'log' | 'req' | 'dlv';

/**
 * `prefix_` + 26 characters: 48 bits of milliseconds then 80 random bits (ULID layout). Ids sort by
 * creation time, which lets lists page on the id alone.
 */
export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  return `${prefix}_${base32(bytes)}`;
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A random secret of `bytes` bytes as base62-ish url-safe text (for API keys and claim tokens). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
