import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

export type IdPrefix = 'acct' | 'key' | 'bot' | 'usr' | 'conv' | 'msg' | 'src' | 'num' | 'call' | 'camp' | 'whk' | 'evt' | 'pv' | 'rr' | 'log' | 'req' | 'dlv' | 'fb' | 'chk' | 'sms' | 'ct' | 'ntf';

/**
 * `prefix_` + 26 characters: 48 bits of milliseconds then 80 random bits (ULID layout, monotonic within
 * a process). Ids sort by creation time, which lets lists page on the id alone.
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  if (now > lastTime) {
    lastTime = now;
    last = randomBytes(16);
    last.writeUIntBE(now, 0, 6);
  } else {
    increment(last); // same millisecond (or clock step back): stay ordered within this process
  }
  return `${prefix}_${base32(last)}`;
}

/**
 * Ids for things that happened at the given times (imported history), so they sort among live ids by
 * when they happened. Times must be in order; ids of equal times keep the order given.
 */
export function idsAt(prefix: IdPrefix, times: number[]): string[] {
  let at = -1;
  let bytes = Buffer.alloc(16);
  return times.map((t) => {
    if (t !== at) {
      at = t;
      bytes = randomBytes(16);
      bytes.writeUIntBE(t, 0, 6);
    } else {
      increment(bytes);
    }
    return `${prefix}_${base32(bytes)}`;
  });
}

let lastTime = 0;
let last = Buffer.alloc(16);

/** Adds one to the 80 random bits, so ids made in one millisecond sort in the order they were made. */
function increment(bytes: Buffer): void {
  for (let i = 15; i >= 6; i--) {
    bytes[i] = (bytes[i]! + 1) & 0xff;
    if (bytes[i] !== 0) return;
  }
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

/** A random secret of `bytes` bytes as base64url text (for API keys and claim tokens). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
