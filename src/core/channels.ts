/** Where a conversation happens: the web API and widget, SMS, or a phone call. */
export const CHANNELS = ['api', 'sms', 'voice'] as const;
export type Channel = (typeof CHANNELS)[number];
