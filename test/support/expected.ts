/**
 * What the API promises for a new bot, written out here rather than imported from src/, so a changed
 * default fails the tests instead of silently moving with them.
 */
export const DEFAULT_VALUES = { creativity: 50, length: 50, formality: 50, humor: 50, warmth: 50, emoji: 30, reply_delay: 0 };
export const DEFAULT_UI = {
  primary_color: '#6d28d9',
  background_color: '#ffffff',
  text_color: '#111827',
  avatar_url: null,
  position: 'bottom-right',
  launcher_text: 'Chat with us',
  theme: 'auto',
};
export const DEFAULT_POLICY = {
  age_gate: false,
  age_confirmation_message: 'This chat is for adults only. Reply YES to confirm you are 18 or older.',
  blocked_topics: [],
  blocked_topic_reply: "That's something I don't talk about. Let's talk about something else.",
  ai_disclosure: null,
  ai_disclosure_channels: ['api', 'sms', 'voice'],
  help_text: '{{bot_name}}: you are texting an AI. Msg & data rates may apply. Reply STOP to unsubscribe, START to resubscribe.',
};
