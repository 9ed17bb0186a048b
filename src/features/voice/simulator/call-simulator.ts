import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import { sinchAuthorization } from '../sinch-callback-auth.js';
import { spokenText, svamlProblems, type SvamlEvent } from './svaml-rules.js';
import { readTwiml, type TwimlPlan } from './twiml-reader.js';

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

type CallerInput = { speech: string } | { digits: string } | { silence: true };

/** The provider-specific half of a call: which callbacks to send and how to read the answers. */
interface Dialect {
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

/**
 * Event times with milliseconds: Sinch writes whole seconds, and the server tells a provider's retry
 * from a new event by the signed body, so a simulated caller quicker than one event a second (a
 * test) must not send two identical ones. A person on the phone never is.
 */
const eventTime = () => new Date().toISOString();
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const contentType = (headers: Record<string, unknown>) => String(headers['content-type'] ?? '');
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const SINCH_PATH = '/webhooks/sinch/voice';
const SINCH_AMD = {
  human: { status: 'human', reason: 'n/a', duration: 2 },
  machine: { status: 'machine', reason: 'beep', duration: 4 },
} as const;

class SinchCall implements Dialect {
  readonly callId: string;
  // The signature covers the path of the callback URL Sinch was given, prefix included.
  private readonly signedPath: string;
  private custom = '';
  private menuOptions: unknown[] = [];

  constructor(private readonly o: SinchCallOptions) {
    this.callId = o.callId ?? hex(16);
    this.signedPath = new URL(o.publicUrl).pathname.replace(/\/$/, '') + SINCH_PATH;
  }

  start(): Promise<SimStep> {
    const { callId, o } = this;
    return this.exchange('ice', {
      event: 'ice',
      callid: callId,
      callResourceUrl: `${o.regionHost ?? 'https://calling-use1.api.sinch.com'}/calling/v1/calls/id/${callId}`,
      timestamp: eventTime(),
      version: 1,
      custom: '',
      userRate: { currencyId: 'USD', amount: 0.0123 },
      cli: o.from,
      to: { type: 'did', endpoint: o.to },
      domain: 'pstn',
      originationType: 'PSTN',
      applicationKey: o.appKey,
      rdnis: '',
      duration: 0,
      callHeaders: [],
    });
  }

  answer(a: AnswerOptions): Promise<SimStep> {
    this.custom = a.custom ?? '';
    const amd = a.amd ? { amd: SINCH_AMD[a.amd] } : {};
    return this.exchange('ace', { ...this.envelope('ace'), ...amd }, a.amd === 'machine');
  }

  input(input: CallerInput): Promise<SimStep> {
    return this.exchange('pie', { ...this.envelope('pie'), menuResult: this.menuResult(input) });
  }

  dialEnded(): Promise<SimStep> {
    throw new Error('dialEnded is for Twilio calls: Sinch sends no callback on the caller\'s leg when a connectPstn leg ends');
  }

  async notifyRecording(url: string): Promise<number> {
    return (await this.post({ ...this.envelope('notify'), type: 'recording_available', destination: url })).res.status;
  }

  async hangup(h: HangupOptions, durationSeconds: number): Promise<number> {
    const { res } = await this.post({
      ...this.envelope('dice'),
      reason: h.reason ?? 'CALLERHANGUP',
      result: h.result ?? 'ANSWERED',
      duration: durationSeconds,
      from: this.o.from,
      to: { type: 'number', endpoint: this.o.to },
      debit: { currencyId: 'USD', amount: h.cost ?? 0.0123 },
      userRate: { currencyId: 'USD', amount: 0.0123 },
      callHeaders: [],
    });
    return res.status;
  }

  private envelope(event: string): Obj {
    return { event, callid: this.callId, timestamp: eventTime(), version: 1, custom: this.custom, applicationKey: this.o.appKey };
  }

  // A key that picks a return(x) option comes back as type "return" with value x, as Sinch reports it.
  private menuResult(input: CallerInput): Obj {
    if ('speech' in input) return { menuId: 'main', type: 'sequence', value: input.speech, inputMethod: 'voice' };
    if ('silence' in input) return { menuId: 'main', type: 'timeout', value: '', inputMethod: 'voice' };
    const option = this.menuOptions.find((opt) => isObj(opt) && String(opt.dtmf) === input.digits);
    const returned = isObj(option) && typeof option.action === 'string' ? /^return\((.*)\)$/.exec(option.action) : null;
    return returned
      ? { menuId: 'main', type: 'return', value: returned[1], inputMethod: 'dtmf' }
      : { menuId: 'main', type: 'sequence', value: input.digits, inputMethod: 'dtmf' };
  }

  private async post(body: Obj) {
    const json = JSON.stringify(body);
    const timestamp = eventTime();
    const headers = {
      'content-type': 'application/json',
      'x-timestamp': timestamp,
      authorization: sinchAuthorization(this.o.appKey, this.o.appSecret, { method: 'POST', path: this.signedPath, contentType: 'application/json', timestamp, body: json }),
    };
    const t0 = performance.now();
    const res = await this.o.transport({ path: SINCH_PATH, headers, body: json });
    return { res, elapsedMs: performance.now() - t0 };
  }

  private async exchange(event: SvamlEvent, body: Obj, machine = false): Promise<SimStep> {
    const { res, elapsedMs } = await this.post(body);
    const base = { status: res.status, elapsedMs };
    // Sinch plays an error message and drops the call when the answer is not a usable SVAML document.
    if (res.status < 200 || res.status > 299) return { ...base, raw: res.body, spoken: [], state: 'ended', problems: [`the server answered ${event.toUpperCase()} with HTTP ${res.status}`] };
    let svaml: unknown;
    try {
      svaml = JSON.parse(res.body);
    } catch {
      return { ...base, raw: res.body, spoken: [], state: 'ended', problems: [`the answer to ${event.toUpperCase()} is not JSON`] };
    }
    const problems = svamlProblems(event, svaml);
    if (!contentType(res.headers).includes('application/json')) problems.push(`the answer's content-type is "${contentType(res.headers)}", not application/json`);
    const spoken = spokenText(svaml);
    const action = isObj(svaml) && isObj(svaml.action) ? svaml.action : {};
    if (action.name === 'runMenu' && Array.isArray(action.menus)) {
      const main = action.menus.find((m) => isObj(m) && m.id === (action.mainMenu ?? 'main'));
      this.menuOptions = isObj(main) && Array.isArray(main.options) ? main.options : [];
    }
    return { ...base, raw: svaml, spoken, problems, ...sinchOutcome(action, machine && spoken.length > 0) };
  }
}

function sinchOutcome(action: Obj, leftMessage: boolean): Pick<SimStep, 'state' | 'transferTo' | 'cli'> {
  const endpoint = isObj(action.destination) && typeof action.destination.endpoint === 'string' ? { transferTo: action.destination.endpoint } : {};
  switch (action.name) {
    case 'runMenu':
      return { state: 'listening' };
    case 'hangup':
      return { state: leftMessage ? 'voicemail' : 'ended' };
    case 'continue':
    case 'park':
      return { state: 'continue' };
    case 'connectPstn':
      return {
        state: 'transferred',
        ...(typeof action.number === 'string' ? { transferTo: action.number } : {}),
        ...(typeof action.cli === 'string' ? { cli: action.cli } : {}),
      };
    case 'connectConf':
      return { state: 'transferred', transferTo: `conference:${String(action.conferenceId)}` };
    case 'connectSip':
    case 'connectMxp':
    case 'connectStream':
      return { state: 'transferred', ...endpoint };
    default:
      return { state: 'ended' };
  }
}

const TWILIO_CALL_STATUS = { ANSWERED: 'completed', NOANSWER: 'no-answer', BUSY: 'busy', FAILED: 'failed' } as const;
// Twilio follows Redirects without limit; a server redirecting in a circle would hang a real call.
const MAX_REDIRECTS = 3;

interface TwimlAnswer {
  status: number;
  xml: string;
  plan: TwimlPlan;
  elapsedMs: number;
}

class TwilioCall implements Dialect {
  readonly callId: string;
  private readonly base: string;
  private direction: 'inbound' | 'outbound-api' = 'inbound';
  private statusUrl: string;
  // The document Twilio is running: relative URLs in it resolve against its own URL.
  private doc: TwimlAnswer | null = null;
  private docUrl: string;

  constructor(private readonly o: TwilioCallOptions) {
    this.callId = o.callSid ?? `CA${hex(16)}`;
    this.base = new URL(o.publicUrl).href.replace(/\/$/, '');
    this.statusUrl = this.ours('/webhooks/twilio/voice/status');
    this.docUrl = this.ours('/webhooks/twilio/voice');
  }

  start(): Promise<SimStep> {
    this.direction = 'inbound';
    return this.run(this.ours('/webhooks/twilio/voice'), { CallStatus: 'ringing' });
  }

  answer(a: AnswerOptions): Promise<SimStep> {
    this.direction = 'outbound-api';
    if (a.statusUrl) this.statusUrl = this.given(a.statusUrl);
    const amd: Record<string, string> = a.amd ? { AnsweredBy: a.amd === 'human' ? 'human' : 'machine_end_beep' } : {};
    return this.run(this.given(a.voiceUrl ?? '/webhooks/twilio/voice'), { CallStatus: 'in-progress', ...amd }, a.amd === 'machine');
  }

  async input(input: CallerInput): Promise<SimStep> {
    const doc = this.doc;
    const gather = doc?.plan.gather;
    if (!doc || !gather) throw new Error('no <Gather> is listening');
    // Without actionOnEmptyResult, silence is not posted: Twilio goes on with the verbs after the Gather.
    if ('silence' in input && !gather.actionOnEmptyResult) return this.settle({ ...doc, plan: doc.plan.noInput!, elapsedMs: 0 }, false);
    if ('digits' in input && !gather.input.split(/\s+/).includes('dtmf')) throw new Error(`<Gather input="${gather.input}"> does not take key presses`);
    const fields: Record<string, string> = 'speech' in input ? { SpeechResult: input.speech, Confidence: '0.92' } : 'digits' in input ? { Digits: input.digits } : {};
    return this.run(new URL(gather.action || this.docUrl, this.docUrl).href, { CallStatus: 'in-progress', ...fields });
  }

  dialEnded(status: DialStatus): Promise<SimStep> {
    const action = this.doc?.plan.dial?.action;
    if (!action) throw new Error('the <Dial> has no action, so Twilio reports nothing when it ends');
    return this.run(new URL(action, this.docUrl).href, { CallStatus: 'in-progress', DialCallStatus: status, DialCallSid: `CA${hex(16)}` });
  }

  async notifyRecording(url: string, durationSeconds: number): Promise<number> {
    const params = { AccountSid: this.o.accountSid, CallSid: this.callId, RecordingSid: `RE${hex(16)}`, RecordingUrl: url, RecordingStatus: 'completed', RecordingDuration: String(durationSeconds) };
    return (await this.post(this.ours('/webhooks/twilio/voice/recording'), params)).status;
  }

  async hangup(h: HangupOptions, durationSeconds: number): Promise<number> {
    const fields = { ...this.callFields(), CallStatus: TWILIO_CALL_STATUS[h.result ?? 'ANSWERED'], CallDuration: String(durationSeconds) };
    return (await this.post(this.statusUrl, fields)).status;
  }

  private ours(path: string): string {
    return this.base + path;
  }

  // URLs the server handed to calls.create are absolute; a bare path is taken as under the public URL.
  private given(url: string): string {
    return /^https?:\/\//.test(url) ? url : this.ours(url);
  }

  private callFields(): Record<string, string> {
    const { o } = this;
    return { CallSid: this.callId, AccountSid: o.accountSid, From: o.from, To: o.to, Caller: o.from, Called: o.to, Direction: this.direction, ApiVersion: '2010-04-01' };
  }

  private async post(url: string, params: Record<string, string>) {
    if (!url.startsWith(this.base + '/')) {
      return { status: 0, body: '', headers: {}, elapsedMs: 0, problem: `${url} is not under the public URL ${this.base}, so Twilio would call another server` };
    }
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(this.o.authToken, url, params),
    };
    const t0 = performance.now();
    const res = await this.o.transport({ path: url.slice(this.base.length), headers, body: new URLSearchParams(params).toString() });
    return { ...res, elapsedMs: performance.now() - t0, problem: null };
  }

  private async fetchTwiml(url: string, fields: Record<string, string>): Promise<TwimlAnswer> {
    const res = await this.post(url, { ...this.callFields(), ...fields });
    this.docUrl = url;
    const failed = (problem: string): TwimlAnswer => ({
      status: res.status,
      xml: res.body,
      elapsedMs: res.elapsedMs,
      // Twilio says "an application error has occurred" and hangs up.
      plan: { spoken: [], gather: null, dial: null, hangup: true, redirect: null, noInput: null, problems: [problem] },
    });
    if (res.problem) return failed(res.problem);
    if (res.status < 200 || res.status > 299) return failed(`the server answered ${url} with HTTP ${res.status}`);
    const plan = readTwiml(res.body);
    if (!/xml/.test(contentType(res.headers))) plan.problems.push(`the answer's content-type is "${contentType(res.headers)}", not text/xml`);
    return { status: res.status, xml: res.body, elapsedMs: res.elapsedMs, plan };
  }

  private async run(url: string, fields: Record<string, string>, machine = false): Promise<SimStep> {
    return this.settle(await this.fetchTwiml(url, fields), machine);
  }

  /** Follows Redirects the way Twilio does, then reads where the call stands. */
  private async settle(first: TwimlAnswer, machine: boolean): Promise<SimStep> {
    let doc = first;
    const spoken = [...doc.plan.spoken];
    const problems = [...doc.plan.problems];
    let elapsedMs = doc.elapsedMs;
    for (let hops = 0; doc.plan.redirect !== null; hops++) {
      if (hops === MAX_REDIRECTS) {
        problems.push(`more than ${MAX_REDIRECTS} <Redirect>s in a row`);
        break;
      }
      doc = await this.fetchTwiml(new URL(doc.plan.redirect, this.docUrl).href, { CallStatus: 'in-progress' });
      spoken.push(...doc.plan.spoken);
      problems.push(...doc.plan.problems);
      elapsedMs += doc.elapsedMs;
    }
    this.doc = doc;
    const { gather, dial } = doc.plan;
    const base = { status: doc.status, spoken, raw: doc.xml, problems, elapsedMs };
    if (gather) return { ...base, state: 'listening' };
    if (dial) return { ...base, state: 'transferred', transferTo: dial.number, ...(dial.callerId ? { cli: dial.callerId } : {}) };
    // A document that runs out of verbs ends the call just as <Hangup/> does.
    return { ...base, state: machine && spoken.length > 0 ? 'voicemail' : 'ended' };
  }
}
