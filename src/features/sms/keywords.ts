import { ownEntry } from '../../core/own-entry.js';
/**
 * SMS compliance keywords (telephony.md §4): the CTIA opt-out set plus the FCC's revocation words,
 * the opt-in words and HELP. Only a message that is the keyword alone counts ("STOP PLEASE" does
 * not), as carriers and Twilio apply them; case and surrounding spaces or end punctuation are ignored.
 */
export type SmsKeyword = 'stop' | 'start' | 'help';

const KEYWORDS: Record<string, SmsKeyword> = {
  stop: 'stop',
  stopall: 'stop',
  unsubscribe: 'stop',
  cancel: 'stop',
  end: 'stop',
  quit: 'stop',
  revoke: 'stop',
  optout: 'stop',
  'opt out': 'stop',
  'opt-out': 'stop',
  start: 'start',
  unstop: 'start',
  yes: 'start',
  help: 'help',
  info: 'help',
};

/**
 * Plain-language revocations the FCC expects to be honoured besides the keywords ("please stop
 * texting me"). Deliberately narrow: a short message that asks, as a whole, for the texts to end.
 * "Don't stop", "stop it" or "never stop texting you" are conversation, not a revocation.
 */
const REVOCATIONS = [
  /^(?:please |pls |plz )?(?:stop|quit|cease) (?:texting|messaging|contacting|sending (?:me )?(?:texts|messages))(?: me)?(?: (?:please|pls|now|anymore|any more|again))*$/u,
  /^(?:please |pls |plz )?(?:do not|don't|dont) (?:text|message|contact) me(?: (?:again|anymore|any more|ever again))*(?: please)?$/u,
  /^(?:please |pls |plz )?(?:unsubscribe|opt) me(?: out)?(?: please)?$/u,
  /^(?:please |pls |plz )?(?:remove|take) me (?:off|from) (?:your|this|the) (?:list|texts|messages)(?: please)?$/u,
  /^i (?:want|would like|wish) to (?:unsubscribe|opt out|stop (?:these|your|the) (?:texts|messages))(?: please)?$/u,
];

/** The keyword a message is, or null for an ordinary message. */
export function smsKeyword(body: string): SmsKeyword | null {
  const text = body
    .trim()
    .replace(/[.!?]+$/u, '')
    .replace(/\s+/gu, ' ')
    .replace(/[’‘]/gu, "'")
    .toLowerCase();
  const keyword = ownEntry(KEYWORDS, text);
  if (keyword) return keyword;
  return text.length <= 80 && REVOCATIONS.some((r) => r.test(text)) ? 'stop' : null;
}

/** Replaces {{bot_name}} in a bot's help text. */
export const fillBotName = (template: string, botName: string) => template.replaceAll('{{bot_name}}', botName);

/** Confirmations carry no marketing: what happened and how to undo it (one each, telephony.md §4). */
export const optOutConfirmation = (botName: string) => `${botName}: you are unsubscribed and will get no more messages. Reply START to resubscribe.`;
export const optInConfirmation = (botName: string) => `${botName}: you are subscribed again. Reply HELP for help, STOP to unsubscribe.`;
