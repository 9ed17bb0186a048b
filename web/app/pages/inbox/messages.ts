import { get } from '../../api';

export interface ConversationSummary {
  conversation_id: string;
  bot_id: string;
  user_id: string;
  channel: string;
  created_at: string;
  last_message_at: string | null;
  last_message: { message_id: string; role: string; content: string; created_at: string } | null;
  message_count: number;
  unanswered_count: number;
  bot_enabled: boolean;
}

export type Role = 'user' | 'assistant' | 'operator';
export type Rating = 'up' | 'down';
type Status = 'ok' | 'pending' | 'unanswered' | 'flagged';

/** One item of get_conversation_messages (src/features/conversations/schemas.ts, ConversationMessages). */
interface StoredMessage {
  message_id: string;
  role: Role;
  content: string;
  status: Status;
  source: string | null;
  latency_ms: number | null;
  rating: Rating | null;
  created_at: string;
}

export interface ChatMessage {
  /** The stored conversation message (what retrain_response and feedback_api take). */
  messageId: string;
  role: Role;
  text: string;
  at: string;
  status: Status;
  source: string | null;
  rating: Rating | null;
  /** Known only on this page, right after an operator reply: it could not be carried to the user. */
  undelivered?: boolean;
  /** Corrected from this page with retrain_response (the stored message keeps its words). */
  corrected?: boolean;
}

export interface MessagePage {
  /** Oldest first, as the chat reads. */
  messages: ChatMessage[];
  next: string | null;
}

/** One conversation of any channel as stored: authors, status, source and rating come from the server. */
export async function loadMessages(c: ConversationSummary, cursor?: string): Promise<MessagePage> {
  const res = await get<{ data: StoredMessage[]; next_cursor: string | null }>('/get_conversation_messages', {
    conversation_id: c.conversation_id,
    limit: 50,
    cursor,
  });
  return {
    messages: res.data
      .map((m) => ({
        messageId: m.message_id,
        role: m.role,
        text: m.content,
        at: m.created_at,
        status: m.status,
        source: m.source,
        rating: m.rating,
      }))
      .reverse(),
    next: res.next_cursor,
  };
}

export const ROLE_NAMES: Record<Role, string> = { user: 'Fan', assistant: 'Bot', operator: 'Operator' };

const STATUS_NOTES: Record<Status, string | null> = { ok: null, pending: 'waiting for a reply', unanswered: 'unanswered', flagged: 'flagged' };

/**
 * Where a message came from, in the creator's words. A model reply is the ordinary case and an
 * operator's source repeats its author, so neither gets a note; an unknown source is shown as it is.
 */
const SOURCE_NOTES: Record<string, string | null> = {
  model: null,
  operator: null,
  retrained: 'curated',
  builtin: 'builtin mode',
  safety: 'safety refusal',
  blocked_topic: 'blocked topic',
  moderation: 'moderation',
  age_gate: 'age check',
  opening: 'opening message',
  disclosure: 'AI disclosure',
  tool: 'call action',
  import: 'imported',
  send_sms: 'sent with send_sms',
};

/** The small notes under a message's author: its status when not ok, its source, a failed delivery. */
export function messageNotes(m: ChatMessage): string[] {
  const source = m.source === null ? null : m.source in SOURCE_NOTES ? SOURCE_NOTES[m.source] : m.source.replace(/_/g, ' ');
  return [STATUS_NOTES[m.status], source, m.undelivered ? 'not delivered' : null].filter((n): n is string => !!n);
}
