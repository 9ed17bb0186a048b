import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // core/ids.ts: Crockford base32, lower case
const PREFIXES = ['acct', 'key', 'bot', 'usr', 'conv', 'msg', 'src', 'num', 'call', 'camp', 'whk', 'evt', 'pv', 'rr', 'log', 'dlv', 'fb', 'chk', 'sms', 'ct', 'ntf'];
const ID = new RegExp(`^(${PREFIXES.join('|')})_([${ALPHABET}]{26})$`);
const EMBEDDED_ID = new RegExp(`\\b(?:${PREFIXES.join('|')})_[${ALPHABET}]{26}\\b`, 'g');
const RANDOM_MOD = 1n << 80n;

/**
 * Gives every id of an imported archive a fresh one, as a pure function of the old id: references are
 * remapped the same way wherever they appear (columns, JSON, send keys) without a table of every id in
 * memory, and a reference met before its row (a summary's last message) needs no second pass.
 *
 * The new id keeps the old one's 48 time bits and adds a random per-import offset to its 80 random bits:
 * lists page and sort on ids (core/ids.ts), so the imported account lists its messages, conversations
 * and versions in the same order, and two imports of one archive get different ids. Ids made in one
 * millisecond could swap order only if the offset wrapped between them: odds of about 2^-70.
 */
export class IdRemapper {
  private readonly offset: bigint;
  private readonly salt: Buffer;

  constructor() {
    this.offset = BigInt(`0x${randomBytes(10).toString('hex')}`);
    this.salt = randomBytes(16);
  }

  /** The new id of an id column's value; a value not shaped like our ids gets a hashed one (same prefix). */
  id(value: string): string {
    const m = ID.exec(value);
    if (m) return `${m[1]}_${this.shift(m[2]!)}`;
    const prefix = /^([a-z]{1,8})_/.exec(value)?.[1] ?? 'id';
    const digest = createHash('sha256').update(this.salt).update(value).digest().subarray(0, 16);
    return `${prefix}_${encode(digest)}`;
  }

  /** Our ids inside free-form keys (`campaign:<camp>:<usr>`) are remapped; the rest is kept. */
  embedded(value: string): string {
    return value.replace(EMBEDDED_ID, (id) => this.id(id));
  }

  /** JSON values (audit details, event payloads, message sources): every string that is exactly one of our ids. */
  json(value: unknown): unknown {
    if (typeof value === 'string') return ID.test(value) ? this.id(value) : value;
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.json(v)]));
    return value;
  }

  private shift(chars: string): string {
    const bytes = decode(chars);
    const random = (BigInt(`0x${bytes.subarray(6).toString('hex')}`) + this.offset) % RANDOM_MOD;
    Buffer.from(random.toString(16).padStart(20, '0'), 'hex').copy(bytes, 6);
    return encode(bytes);
  }
}

/** 26 base32 characters to the 16 bytes they carry (the last 2 bits are padding). */
function decode(chars: string): Buffer {
  let bits = 0n;
  for (const c of chars) bits = (bits << 5n) | BigInt(ALPHABET.indexOf(c));
  return Buffer.from((bits >> 2n).toString(16).padStart(32, '0'), 'hex');
}

function encode(bytes: Buffer): string {
  let bits = BigInt(`0x${bytes.toString('hex')}`) << 2n;
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}
