import { describe, expect, it } from 'vitest';
import { countTokens, fitHistory, MESSAGE_OVERHEAD, type HistoryTurn } from '../src/engine/history.js';

const turn = (i: number, content: string): HistoryTurn => ({ id: `t${i}`, role: i % 2 ? 'assistant' : 'user', content });

describe('token counting', () => {
  it('counts with a real tokenizer, not characters', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('antidisestablishmentarianism')).toBeGreaterThan(1);
    expect(countTokens('antidisestablishmentarianism')).toBeLessThan('antidisestablishmentarianism'.length);
  });

  it('counts special-token text in user messages instead of refusing it', () => {
    expect(countTokens('what does <|endoftext|> mean?')).toBeGreaterThan(5);
  });
});

describe('history budget', () => {
  const turns = Array.from({ length: 10 }, (_, i) => turn(i, `message number ${i} with a few words`));
  const each = countTokens(turns[0]!.content) + MESSAGE_OVERHEAD;

  it('keeps everything that fits', () => {
    const fitted = fitHistory(turns, 10_000);
    expect(fitted.kept).toHaveLength(10);
    expect(fitted.folded).toHaveLength(0);
    expect(fitted.tokens).toBe(turns.reduce((n, t) => n + countTokens(t.content) + MESSAGE_OVERHEAD, 0));
  });

  it('keeps the newest turns in order and folds the older ones', () => {
    const fitted = fitHistory(turns, each * 3 + 1);
    expect(fitted.kept.map((t) => t.id)).toEqual(['t7', 't8', 't9']);
    expect(fitted.folded.map((t) => t.id)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    expect(fitted.tokens).toBeLessThanOrEqual(each * 3 + 1);
  });

  it('always keeps the newest turn, even when it alone is over budget', () => {
    const fitted = fitHistory([turn(0, 'short'), turn(1, 'a much longer message than the budget allows')], 3);
    expect(fitted.kept.map((t) => t.id)).toEqual(['t1']);
    expect(fitted.folded.map((t) => t.id)).toEqual(['t0']);
  });

  it('handles an empty history', () => {
    expect(fitHistory([], 100)).toEqual({ kept: [], folded: [], tokens: 0 });
  });
});
