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

/** The keyword a message is, or null for an ordinary message. */
export function smsKeyword(body: string): SmsKeyword | null {
  const word = body
    .trim()
    .replace(/[.!?]+$/u, '')
    .replace(/\s+/gu, ' ')
    .toLowerCase();
  return KEYWORDS[word] ?? null;
}

/** Replaces {{bot_name}} in a bot's help text. */
export const fillBotName = (template: string, botName: string) => template.replaceAll('{{bot_name}}', botName);

/** Confirmations carry no marketing: what happened and how to undo it (one each, telephony.md §4). */
export const optOutConfirmation = (botName: string) => `${botName}: you are unsubscribed and will get no more messages. Reply START to resubscribe.`;
export const optInConfirmation = (botName: string) => `${botName}: you are subscribed again. Reply HELP for help, STOP to unsubscribe.`;
