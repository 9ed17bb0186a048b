/** What the voice feature needs from a telephony provider: place a call, and end one. */

export interface PlaceCall {
  /** Our call id: Sinch carries it back as `custom`, Twilio in the callback URLs. */
  callId: string;
  to: string;
  /** The bot's number: the caller id the callee sees. */
  from: string;
  /** Answering-machine detection: the answer callback says human or machine. */
  amd: boolean;
  record: boolean;
  maxDurationSeconds: number;
  /** Our callback URLs: `voice` answers the call (Sinch: ACE and PIE), `status` hears how it ends, `recording` where its recording is. */
  webhooks: { voice: string; status: string; recording: string };
}

export interface PlacedCall {
  providerCallId: string;
  /** Sinch: the regional origin that manages the call; null for Twilio. */
  manageOrigin: string | null;
}

/** A live call as the provider knows it. */
export interface CallHandle {
  providerCallId: string;
  manageOrigin: string | null;
}

export interface VoicePort {
  readonly provider: 'sinch' | 'twilio';
  place(call: PlaceCall): Promise<PlacedCall>;
  /** Hangs up a live call. */
  hangup(call: CallHandle): Promise<void>;
}
