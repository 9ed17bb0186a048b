import { createHash } from 'node:crypto';

/** API keys and claim tokens carry 256 random bits, so a fast hash is enough to store them safely. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

