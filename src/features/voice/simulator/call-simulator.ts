// The public face of the call simulator: the types callers use and CallSimulator, which drives a call through a provider dialect.
import { SinchCall } from './sinch-call.js';
import { TwilioCall } from './twilio-call.js';

/** One POST to the server under test; a real HTTP client, or fastify's inject in tests. */
export type Transport = (req: { path: string; headers: Record<string, string>; body: string }) => Promise<{ status: number; body: string; headers: Record<string, unknown> }>;

export function httpTransport(baseUrl: string): Transport {
  const base = baseUrl.replace(/\/$/, '');
  return async (req) => {
    const res = await fetch(base + req.path, { method: 'POST', headers: req.headers, body: req.body });
    return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
  };
}

export type CallState = 'listening' | 'transferred' | 'ended' | 'voicemail' | 'continue';

/** What one callback (and the answer the server gave it) did to the call. */
export interface SimStep {
  status: number;
  spoken: string[];
  state: CallState;
  transferTo?: string;
  cli?: string;
  /** The parsed SVAML object (Sinch) or the TwiML document (Twilio; the last one when a Redirect was followed). */
  raw: unknown;
  problems: string[];
  elapsedMs: number;
}

export interface AnswerOptions {
  amd?: 'human' | 'machine';
  /** Sinch: the `custom` the server gave the callout, echoed in every callback. */
  custom?: string;
  /** Twilio: the Url the server gave calls.create (absolute under the public URL, or a path). */
  voiceUrl?: string;
  /** Twilio: the StatusCallback the server gave calls.create; hangup() reports there. */
  statusUrl?: string;
}

export interface HangupOptions {
  duration?: number;
  result?: 'ANSWERED' | 'NOANSWER' | 'BUSY' | 'FAILED';
  reason?: string;
  cost?: number;
}

export type DialStatus = 'completed' | 'busy' | 'no-answer' | 'failed';

export type CallerInput = { speech: string } | { digits: string } | { silence: true };

/** The provider-specific half of a call: which callbacks to send and how to read the answers. */
export interface Dialect {
  readonly callId: string;
  start(): Promise<SimStep>;
  answer(o: AnswerOptions): Promise<SimStep>;
  input(input: CallerInput): Promise<SimStep>;
  dialEnded(status: DialStatus): Promise<SimStep>;
  notifyRecording(url: string, durationSeconds: number): Promise<number>;
  hangup(o: HangupOptions, durationSeconds: number): Promise<number>;
}

export interface SinchCallOptions {
  transport: Transport;
  publicUrl: string;
  appKey: string;
  appSecret: string;
  from: string;
  to: string;
  callId?: string;
  regionHost?: string;
}

export interface TwilioCallOptions {
  transport: Transport;
  publicUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  to: string;
  callSid?: string;
}

/**
 * Plays the provider's side of one phone call against the server: sends the callbacks Sinch or
 * Twilio would send, signed as they sign them, and reads each answer the way the provider would run
 * it. Tests and `sinth call-sim` both drive calls through it.
 */
export class CallSimulator {
  readonly callId: string;
  readonly transcript: Array<{ who: 'caller' | 'bot'; text: string }> = [];
  private startedAt = Date.now();
  private state: CallState | null = null;

  private constructor(private readonly dialect: Dialect) {
    this.callId = dialect.callId;
  }

  static sinch(o: SinchCallOptions): CallSimulator {
    return new CallSimulator(new SinchCall(o));
  }

  static twilio(o: TwilioCallOptions): CallSimulator {
    return new CallSimulator(new TwilioCall(o));
  }

  /** An inbound call reaches the bot's number. */
  async start(): Promise<SimStep> {
    this.startedAt = Date.now();
    return this.record(this.dialect.start());
  }

  /** The callee picks up a call the server placed. */
  async answer(o: AnswerOptions = {}): Promise<SimStep> {
    this.startedAt = Date.now();
    return this.record(this.dialect.answer(o));
  }

  async say(text: string): Promise<SimStep> {
    this.mustListen('say');
    this.transcript.push({ who: 'caller', text });
    return this.record(this.dialect.input({ speech: text }));
  }

  async silence(): Promise<SimStep> {
    this.mustListen('stay silent');
    return this.record(this.dialect.input({ silence: true }));
  }

  async press(digits: string): Promise<SimStep> {
    this.mustListen('press keys');
    return this.record(this.dialect.input({ digits }));
  }

  /** The transferred leg ends (Twilio only: Sinch has no callback for it on the caller's leg). */
  async dialEnded(status: DialStatus): Promise<SimStep> {
    if (this.state !== 'transferred') throw new Error(`cannot end a dial: the call is ${this.state ?? 'not started'}`);
    return this.record(this.dialect.dialEnded(status));
  }

  notifyRecording(url: string): Promise<number> {
    return this.dialect.notifyRecording(url, this.secondsSinceStart());
  }

  /** The call is over, whoever ended it: the provider's final report (Sinch DiCE, Twilio status callback). */
  async hangup(o: HangupOptions = {}): Promise<number> {
    const status = await this.dialect.hangup(o, o.duration ?? this.secondsSinceStart());
    this.state = 'ended';
    return status;
  }

  private secondsSinceStart(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  // A caller talking to a call that is not listening is a mistake in the test, not a server fault.
  private mustListen(what: string): void {
    if (this.state !== 'listening') throw new Error(`cannot ${what}: the call is ${this.state ?? 'not started'}, not listening`);
  }

  private async record(pending: Promise<SimStep>): Promise<SimStep> {
    const step = await pending;
    this.state = step.state;
    for (const text of step.spoken) this.transcript.push({ who: 'bot', text });
    return step;
  }
}
