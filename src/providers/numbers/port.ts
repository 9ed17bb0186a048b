/**
 * Phone numbers at a telephony provider: searching what can be bought, the numbers an account owns,
 * buying, pointing a number's webhooks at this server, releasing. Features see these shapes only,
 * never the SDK's instances.
 */

export type NumberType = 'local' | 'toll_free' | 'mobile';

export interface NumberSearch {
  /** ISO 3166 alpha-2, upper case. */
  country: string;
  type: NumberType;
  areaCode?: string | undefined;
  /** Digits, letters (keypad) and the provider's wildcards. */
  contains?: string | undefined;
  /** Only numbers that can send and receive SMS / take calls. */
  sms?: boolean | undefined;
  voice?: boolean | undefined;
  limit: number;
}

export interface NumberCapabilities {
  sms: boolean;
  voice: boolean;
  mms: boolean;
}

export interface AvailableNumber {
  phoneNumber: string;
  friendlyName: string;
  country: string;
  locality: string | null;
  region: string | null;
  capabilities: NumberCapabilities;
}

export interface OwnedNumber {
  /** The provider's id of the number (Twilio: PN…). */
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  capabilities: NumberCapabilities;
  smsUrl: string | null;
  voiceUrl: string | null;
}

/** Where the provider calls this server for a number (built from PUBLIC_URL). */
export interface NumberWebhooks {
  smsUrl: string;
  voiceUrl: string;
  /** Call status events. */
  voiceStatusUrl: string;
}

export interface NumbersPort {
  readonly provider: 'twilio';
  search(query: NumberSearch): Promise<AvailableNumber[]>;
  /** Every number the account owns (all pages). */
  listOwned(): Promise<OwnedNumber[]>;
  /** The owned number with exactly this E.164 number, or null. Also proves the credentials work. */
  findOwned(phoneNumber: string): Promise<OwnedNumber | null>;
  purchase(phoneNumber: string, webhooks: NumberWebhooks): Promise<OwnedNumber>;
  setWebhooks(sid: string, webhooks: NumberWebhooks): Promise<OwnedNumber>;
  release(sid: string): Promise<void>;
}
