import type { TurnTool } from '../../engine/converse.js';

/**
 * What a caller can ask a voice bot to do besides talk: be put through to a person, or be texted the
 * booking link. The model decides (these are offered to it as tools); a caller who plainly asks
 * (`asked`) is served without waiting for the model, which also covers the builtin mode.
 */

export const TRANSFER_TOOL = 'transfer_to_human';
export const LINK_TOOL = 'send_calendar_link';

const ASKS_FOR_PERSON =
  /\b(speak|talk)\s+(to|with)\s+(a|an|the|some|your)?\s*(real\s+|live\s+)?(human|person|agent|representative|operator|manager|someone real|somebody real)\b|\b(connect|put)\s+me\s+(through\s+)?(to|with)\b|\b(human|operator|representative|agent),? please\b|\btransfer me\b/i;
const ASKS_FOR_LINK = /\b(text|send|sms|message)\b[^.?!]{0,20}\b(link|booking|calendar)\b/i;
/** A yes to an offer the bot just made. */
const AFFIRMATIVE = /^\W*(yes|yeah|yep|sure|ok(ay)?|please|please do|go ahead|do it|sounds good|that would be great|yes please)\b[\s\w,]{0,30}\W*$/i;
/** A caller withdrawing consent to be called: honoured at once, like STOP by text. */
const REVOKES_CALLS = /\b(stop|quit|don'?t|do not|never)\s+(calling|call|ringing)\s+me\b|\btake me off (your|the) (list|calls?)\b|\bopt me out\b|\bunsubscribe me\b/i;

export const revokesCalls = (text: string) => REVOKES_CALLS.test(text);

export interface VoiceToolsInput {
  hasTransferNumber: boolean;
  calendarLink: string | null;
  /** The caller can be texted from one of the bot's numbers. */
  canText: boolean;
  /** The bot offered the link on its last turn: a plain yes takes it. */
  linkOffered: boolean;
}

/** The tools of one caller turn, with what the bot says when each is taken (said and stored alike). */
export function voiceTools(at: VoiceToolsInput): Record<string, TurnTool> {
  const canSendLink = Boolean(at.calendarLink) && at.canText;
  const transferReply = at.hasTransferNumber
    ? 'Of course. Let me connect you with a person now.'
    : canSendLink
      ? "I'm sorry, there's no one I can put you through to right now. I can text you a link to book a time with a person instead. Would you like that?"
      : "I'm sorry, there's no one I can put you through to right now, but I'm happy to keep helping.";
  const tools: Record<string, TurnTool> = {
    [TRANSFER_TOOL]: {
      description: 'Put the call through to a real person. Use it when the caller asks to speak with a human, an agent, an operator or someone real.',
      reply: transferReply,
      asked: ASKS_FOR_PERSON,
    },
  };
  if (canSendLink) {
    tools[LINK_TOOL] = {
      description: 'Text the caller the booking link. Use it when they want to book, schedule or meet, or ask for the link.',
      reply: "Done. I've just texted you the link.",
      asked: at.linkOffered ? new RegExp(`${ASKS_FOR_LINK.source}|${AFFIRMATIVE.source}`, 'i') : ASKS_FOR_LINK,
    };
  }
  return tools;
}

/** How the bot talks on a call, for the model. */
export function callContext(call: { direction: 'inbound' | 'outbound'; purpose: string | null }): string[] {
  const lines = [
    'This is a phone call: your words are spoken aloud. Answer in one to three short sentences, with no lists, markdown, emoji or web addresses (offer to text a link instead).',
  ];
  if (call.direction === 'outbound') lines.push(call.purpose ? `You called this person. Why you called: ${call.purpose}` : 'You called this person.');
  return lines;
}
