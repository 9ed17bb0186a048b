import { countTokens as count } from 'gpt-tokenizer';

/** Tokens a chat message costs beyond its text (role and separators), as OpenAI's chat format counts them. */
export const MESSAGE_OVERHEAD = 4;

/** Counts with the o200k tokenizer; other models' counts differ a little, which the budget's slack absorbs. */
export function countTokens(text: string): number {
  // User text may contain strings such as "<|endoftext|>": count them as text, never refuse them.
  return count(text, { disallowedSpecial: new Set() });
}

export interface HistoryTurn {
  id: string;
  role: 'user' | 'assistant' | 'operator';
  content: string;
  /** Tokens counted when the message was stored; counted now when absent. */
  tokens?: number | null;
}

export interface FittedHistory<T extends HistoryTurn> {
  /** The most recent turns that fit the budget, oldest first. */
  kept: T[];
  /** The older turns that did not fit, oldest first: to be folded into the running summary. */
  folded: T[];
  tokens: number;
}

/**
 * Keeps the newest turns whose tokens fit `budget` and hands back the rest for summarising, so a long
 * relationship is remembered without sending all of it. The newest turn is always kept. Counting walks
 * back from the newest turn and stops at the first that does not fit, so cost does not grow with history.
 */
export function fitHistory<T extends HistoryTurn>(turns: T[], budget: number): FittedHistory<T> {
  let tokens = 0;
  let start = turns.length;
  while (start > 0) {
    const turn = turns[start - 1]!;
    const cost = (turn.tokens ?? countTokens(turn.content)) + MESSAGE_OVERHEAD;
    if (tokens + cost > budget && start < turns.length) break;
    tokens += cost;
    start--;
  }
  return { kept: turns.slice(start), folded: turns.slice(0, start), tokens };
}
