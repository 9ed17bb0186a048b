import type { BotRow, EndUserRow } from '../db/schema.js';
import type { LlmMessage } from '../providers/llm/port.js';
import { fitHistory, type HistoryTurn } from './history.js';
import { sliderEffects } from './sliders.js';

/** Tokens of conversation history sent with each turn; older turns are left to the running summary. */
export const HISTORY_TOKEN_BUDGET = 3000;

export interface PromptInput {
  bot: Pick<BotRow, 'name' | 'prompt' | 'sliders' | 'calendar_link' | 'transfer_number'>;
  user: Pick<EndUserRow, 'name' | 'attributes'>;
  /** The conversation so far, oldest first, ending with the message being answered. */
  history: HistoryTurn[];
  summary: string | null;
  /** Curated answers, shown as examples of how this bot answers. */
  examples: Array<{ question: string; response: string }>;
  /** The bot discloses that it is an AI on this channel. */
  disclose?: boolean;
  /** Knowledge passages retrieved for the message, best first. */
  passages?: Array<{ title: string | null; heading: string | null; content: string }>;
  /** Lines about this conversation (the channel, why the bot called). */
  context?: string[] | undefined;
}

export interface AssembledPrompt {
  messages: LlmMessage[];
  temperature: number;
  maxTokens: number;
  /** Ids of the history turns that did not fit the budget (for the summary). */
  folded: string[];
}

/** Builds what the model reads: persona, style from the sliders, capabilities, the user, examples, history. */
export function assemblePrompt(input: PromptInput): AssembledPrompt {
  const { bot, user } = input;
  const effects = sliderEffects(bot.sliders);
  const sections: string[] = [bot.prompt.trim() || `You are ${bot.name}.`];
  sections.push(['Style:', ...effects.instructions.map((l) => `- ${l}`)].join('\n'));

  if (input.context?.length) sections.push(['This conversation:', ...input.context.map((l) => `- ${l}`)].join('\n'));
  if (input.disclose) sections.push('You are an AI. If the person sincerely asks whether they are talking to a human or a bot, say that you are an AI.');

  const capabilities: string[] = [];
  if (bot.calendar_link) capabilities.push(`- When the user wants to meet, book or schedule something, offer this booking link: ${bot.calendar_link}`);
  if (bot.transfer_number) capabilities.push('- If the user asks to talk to a real person, tell them you can connect them by phone.');
  if (capabilities.length) sections.push(['You can:', ...capabilities].join('\n'));

  const about: string[] = [];
  if (user.name) about.push(`- Their name is ${user.name}.`);
  for (const [k, v] of Object.entries(user.attributes ?? {})) about.push(`- ${k.replace(/_/g, ' ')}: ${String(v)}`);
  if (about.length) sections.push(['About the person you are talking with:', ...about].join('\n'));

  if (input.examples.length) {
    sections.push(['Answers your creator wrote for common questions (use them when they fit):', ...input.examples.map((e) => `Q: ${e.question}\nA: ${e.response}`)].join('\n'));
  }
  if (input.passages?.length) {
    const lines = input.passages.map((p, i) => `[${i + 1}] ${[p.title, p.heading].filter(Boolean).join(' — ') || 'untitled'}\n${p.content}`);
    sections.push(['What you know from your knowledge base (use it when it answers the question; do not make up details it does not give):', ...lines].join('\n\n'));
  }
  if (input.summary) sections.push(`Earlier in this conversation (summary): ${input.summary}`);

  const fitted = fitHistory(input.history, HISTORY_TOKEN_BUDGET);
  const messages: LlmMessage[] = [
    { role: 'system', content: sections.join('\n\n') },
    // An operator's words were said as the bot: the model reads them as its own.
    ...fitted.kept.map((t) => ({ role: t.role === 'user' ? ('user' as const) : ('assistant' as const), content: t.content })),
  ];
  return { messages, temperature: effects.temperature, maxTokens: effects.maxTokens, folded: fitted.folded.map((t) => t.id) };
}
