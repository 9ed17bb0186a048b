import { describe, expect, it } from 'vitest';
import { sliderEffects } from '../src/engine/sliders.js';

describe('slider mapping', () => {
  it('maps creativity to temperature 0.2 … 1.2', () => {
    expect(sliderEffects({ creativity: 0 }).temperature).toBe(0.2);
    expect(sliderEffects({ creativity: 50 }).temperature).toBe(0.7);
    expect(sliderEffects({ creativity: 100 }).temperature).toBe(1.2);
  });

  it('maps length to a token cap through (0, 60), (50, 250), (100, 800) and a length line', () => {
    expect(sliderEffects({ length: 0 }).maxTokens).toBe(60);
    expect(sliderEffects({ length: 25 }).maxTokens).toBe(155);
    expect(sliderEffects({ length: 50 }).maxTokens).toBe(250);
    expect(sliderEffects({ length: 100 }).maxTokens).toBe(800);
    expect(sliderEffects({ length: 10 }).instructions).toContain('Reply in one short sentence.');
    expect(sliderEffects({ length: 95 }).instructions).toContain('Give full, detailed replies.');
  });

  it('adds a line only outside the neutral middle band, at the band edges too', () => {
    const neutral = sliderEffects({ formality: 50, humor: 41, warmth: 60 }).instructions.join(' ');
    expect(neutral).not.toMatch(/casual|formal|polished|jok|playful|warm|reserved|affectionate/i);
    expect(sliderEffects({ formality: 20 }).instructions).toContain('Write very casually, like texting a close friend; slang and fragments are fine.');
    expect(sliderEffects({ formality: 21 }).instructions).toContain('Keep a casual, relaxed tone.');
    expect(sliderEffects({ formality: 100 }).instructions).toContain('Write formally and precisely; no slang.');
    expect(sliderEffects({ humor: 0 }).instructions).toContain('Stay serious; no jokes.');
    expect(sliderEffects({ warmth: 81 }).instructions).toContain('Be openly affectionate and emotionally warm.');
  });

  it('maps emoji to none, rarely, sometimes, often', () => {
    expect(sliderEffects({ emoji: 0 }).instructions).toContain('Do not use emoji.');
    expect(sliderEffects({ emoji: 30 }).instructions).toContain('Use emoji rarely.');
    expect(sliderEffects({ emoji: 31 }).instructions).toContain('Use an emoji now and then.');
    expect(sliderEffects({ emoji: 71 }).instructions).toContain('Use emoji often.');
  });

  it('turns reply_delay into up to 30 seconds of typing delay, not a prompt line', () => {
    expect(sliderEffects({ reply_delay: 0 }).replyDelaySeconds).toBe(0);
    expect(sliderEffects({ reply_delay: 50 }).replyDelaySeconds).toBe(15);
    expect(sliderEffects({ reply_delay: 100 }).replyDelaySeconds).toBe(30);
    expect(sliderEffects({ reply_delay: 100 }).instructions.join(' ')).not.toMatch(/delay/i);
  });

  it('renders custom sliders as traits in name order', () => {
    const lines = sliderEffects({ sarcasm: 90, flirty: 10, night_owl: 50 }).instructions.filter((l) => l.startsWith('Trait'));
    expect(lines).toEqual(['Trait flirty: barely (10/100).', 'Trait night owl: moderately (50/100).', 'Trait sarcasm: very (90/100).']);
  });

  it('uses the defaults for sliders a bot never set', () => {
    const effects = sliderEffects({});
    expect(effects).toMatchObject({ temperature: 0.7, maxTokens: 250, replyDelaySeconds: 0 });
    expect(effects.instructions).toEqual(['Keep replies to a short paragraph.', 'Use emoji rarely.']);
  });
});
