import type { ServiceContext } from '../core/context.js';
import type { Policy } from '../features/prompts/policy-settings.js';
import { checkHardLimits, normalise, SAFE_REPLY } from './safety.js';

/** Why a text was refused, and what the bot says instead. */
export interface Refusal {
  source: 'safety' | 'blocked_topic' | 'moderation';
  /** The hard limit, blocked topic or moderation categories that matched. */
  reason: string;
  reply: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type TopicMatcher = ((text: string) => string | null) | null;
// Built once per topic list, not per check: a bot's list changes rarely and is checked on every reply.
const matchers = new Map<string, TopicMatcher>();

function topicMatcher(topics: string[]): TopicMatcher {
  if (!topics.length) return null;
  const key = topics.join('\u0000');
  let matcher = matchers.get(key);
  if (matcher === undefined) {
    if (matchers.size >= 1000) matchers.clear();
    matcher = buildTopicMatcher(topics);
    matchers.set(key, matcher);
  }
  return matcher;
}

/** A bot's blocked topics as one matcher of whole words or phrases (plurals included), on normalised text. */
function buildTopicMatcher(topics: string[]): TopicMatcher {
  const phrases = topics.map((t) => ({ topic: t, norm: normalise(t).trim() })).filter((t) => t.norm);
  if (!phrases.length) return null;
  const re = new RegExp(`\\b(${phrases.map((p) => escape(p.norm)).join('|')})(?:s|es)?\\b`);
  return (text) => {
    const m = re.exec(normalise(text));
    return m ? (phrases.find((p) => p.norm === m[1])?.topic ?? m[1]!) : null;
  };
}

/**
 * The checks every text passes, a user message before the model sees it and a reply before anyone
 * does: first the hard limits (fixed, no setting switches them off), then the bot's blocked topics.
 */
export function refusalFor(policy: Pick<Policy, 'blocked_topics' | 'blocked_topic_reply'>, text: string): Refusal | null {
  const hard = checkHardLimits(text);
  if (!hard.allowed) return { source: 'safety', reason: hard.category!, reply: SAFE_REPLY };
  const topic = topicMatcher(policy.blocked_topics)?.(text);
  if (topic) return { source: 'blocked_topic', reason: topic, reply: policy.blocked_topic_reply };
  return null;
}

/** The moderation provider's verdict as a refusal (null when it passes or none is configured). */
export async function moderate(ctx: Pick<ServiceContext, 'moderation'>, text: string): Promise<Refusal | null> {
  if (!ctx.moderation) return null;
  const { blocked } = await ctx.moderation.check(text);
  return blocked.length ? { source: 'moderation', reason: blocked.join(','), reply: SAFE_REPLY } : null;
}

const DENIAL = /\b(?:no|nope|not|under|never|dont|don t)\b/;
const CONFIRMATION = /^(?:yes|y|yeah|yep|yup|ja|si|oui|i confirm|confirm(?:ed)?|i agree|agree)\b|\b(?:i am|im|i m) (?:over |above |at least )?(?:18|eighteen|19|2\d|[3-9]\d|an adult)\b|^18$/;

/**
 * Whether a message answers the age question with a yes ("YES", "yes I'm 18", "I am over 18"). Only
 * asked while a gated bot waits for the answer, so a plain yes is enough; any denial is not a yes.
 */
export function isAgeConfirmation(text: string): boolean {
  const t = normalise(text).replace(/\|/g, ' ').replace(/\s+/g, ' ').trim();
  if (t.length > 80 || DENIAL.test(t)) return false;
  return CONFIRMATION.test(t);
}
