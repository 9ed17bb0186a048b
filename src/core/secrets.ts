import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Short secrets stored in the database (an imported Twilio number's auth token), sealed with
 * AES-256-GCM under SECRET_KEY. Format: `v1.<iv>.<tag>.<ciphertext>`, base64url parts, so a later
 * format or key can be told apart from this one. The key is derived from SECRET_KEY with HKDF for
 * this one purpose, so SECRET_KEY can serve other uses without reusing a key across them.
 *
 * `context` is bound as additional authenticated data (e.g. the row's id): a sealed value copied to
 * another row does not open there.
 */

const VERSION = 'v1';
const IV_BYTES = 12; // GCM's standard nonce size; random per value
const TAG_BYTES = 16;

/** A sealed value that does not open: tampered, truncated, another key or another context. */
export class SecretDecryptError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt stored secret: ${reason}`);
    this.name = 'SecretDecryptError';
  }
}

const derived = new Map<string, Buffer>();

function keyFor(secretKeyHex: string): Buffer {
  let key = derived.get(secretKeyHex);
  if (!key) {
    if (!/^[0-9a-fA-F]{64}$/.test(secretKeyHex)) throw new Error('SECRET_KEY must be 64 hex characters');
    key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKeyHex, 'hex'), Buffer.alloc(0), 'sinth/secrets/v1', 32));
    derived.set(secretKeyHex, key);
  }
  return key;
}

export function encryptSecret(plaintext: string, secretKeyHex: string, context = ''): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secretKeyHex), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function decryptSecret(sealed: string, secretKeyHex: string, context = ''): string {
  const parts = sealed.split('.');
  if (parts.length !== 4) throw new SecretDecryptError('not a sealed value');
  const [version, ivText, tagText, dataText] = parts as [string, string, string, string];
  if (version !== VERSION) throw new SecretDecryptError(`unknown format ${version.slice(0, 8)}`);
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  // Exact lengths: a short tag would weaken GCM's check, and Node accepts some shorter ones.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptError('malformed');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secretKeyHex), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(Buffer.from(dataText, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptError('authentication failed (tampered, or sealed with another key)');
  }
}
