// The Twilio dialect of the call simulator: signed form-encoded webhooks and how Twilio runs the TwiML answers.
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import type { AnswerOptions, CallerInput, Dialect, DialStatus, HangupOptions, SimStep, TwilioCallOptions } from './call-simulator.js';
import { contentType, hex } from './sim-support.js';
import { readTwiml, type TwimlPlan } from './twiml-reader.js';

const TWILIO_CALL_STATUS = { ANSWERED: 'completed', NOANSWER: 'no-answer', BUSY: 'busy', FAILED: 'failed' } as const;
// Twilio follows Redirects without limit; a server redirecting in a circle would hang a real call.
const MAX_REDIRECTS = 3;

interface TwimlAnswer {
  status: number;
  xml: string;
  plan: TwimlPlan;
  elapsedMs: number;
}

export class TwilioCall implements Dialect {
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
