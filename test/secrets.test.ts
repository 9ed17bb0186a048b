import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, SecretDecryptError } from '../src/core/secrets.js';

const KEY = 'ab'.repeat(32);
const OTHER_KEY = 'cd'.repeat(32);

/** Flips one bit of the base64url part `index` of a sealed value. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('stored secrets (AES-256-GCM)', () => {
  it('round-trips, in a versioned format that does not contain the plaintext', () => {
    const sealed = encryptSecret('twilio-auth-token-123', KEY, 'num_1');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('twilio-auth-token');
    expect(decryptSecret(sealed, KEY, 'num_1')).toBe('twilio-auth-token-123');
    expect(decryptSecret(encryptSecret('', KEY), KEY)).toBe('');
    expect(decryptSecret(encryptSecret('naïve ☎', KEY), KEY)).toBe('naïve ☎');
  });

  it('uses a fresh IV each time', () => {
    const a = encryptSecret('same', KEY);
    const b = encryptSecret('same', KEY);
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('refuses a tampered IV, tag or ciphertext', () => {
    const sealed = encryptSecret('secret value', KEY);
    for (const part of [1, 2, 3]) expect(() => decryptSecret(flip(sealed, part), KEY)).toThrow(SecretDecryptError);
  });

  it('refuses another key, another context, and malformed or unknown formats', () => {
    const sealed = encryptSecret('secret value', KEY, 'num_a');
    expect(() => decryptSecret(sealed, OTHER_KEY, 'num_a')).toThrow(SecretDecryptError);
    expect(() => decryptSecret(sealed, KEY, 'num_b')).toThrow(SecretDecryptError);
    expect(() => decryptSecret('secret value', KEY)).toThrow(SecretDecryptError);
    expect(() => decryptSecret(sealed.replace(/^v1/, 'v9'), KEY, 'num_a')).toThrow(/unknown format/);
    const [v, iv, tag, data] = sealed.split('.');
    // A truncated tag must not be accepted (GCM would check fewer bits).
    expect(() => decryptSecret([v, iv, tag!.slice(0, 8), data].join('.'), KEY, 'num_a')).toThrow(/malformed/);
  });

  it('never puts the plaintext in its error messages', () => {
    const sealed = encryptSecret('do-not-leak', KEY);
    try {
      decryptSecret(flip(sealed, 3), KEY);
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain('do-not-leak');
    }
  });
});
