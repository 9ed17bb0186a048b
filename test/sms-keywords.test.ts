import { describe, expect, it } from 'vitest';
import { smsKeyword } from '../src/features/sms/keywords.js';

// Plain-language revocations (FCC: "any reasonable means"), kept narrow so that conversation is not
// mistaken for an opt-out.

describe('plain-language opt-outs', () => {
  it('treats a short request to end the texts as STOP', () => {
    for (const t of [
      'please stop texting me',
      'Stop texting me!',
      'stop messaging me now',
      'Stop sending me messages',
      "don't text me anymore",
      'Do not contact me again.',
      'unsubscribe me',
      'opt me out please',
      'Remove me from your list',
      'take me off the list',
      'I want to opt out',
      'i would like to unsubscribe',
      'Don’t text me again',
    ]) expect(smsKeyword(t), t).toBe('stop');
  });

  it('leaves conversation alone', () => {
    for (const t of [
      "don't stop",
      'stop it you tease',
      'I will never stop texting you',
      'please stop',
      'can you stop texting me pictures of cats and tell me a story instead, I would love that so much tonight',
      'text me again tomorrow',
      'remove your shirt',
    ]) expect(smsKeyword(t), t).toBeNull();
  });
});
