// The Sinch dialect of the call simulator: signed ICE/ACE/PIE/DiCE callbacks and how Sinch runs the SVAML answers.
import { performance } from 'node:perf_hooks';
import { sinchAuthorization } from '../sinch-callback-auth.js';
import type { AnswerOptions, CallerInput, Dialect, HangupOptions, SimStep, SinchCallOptions } from './call-simulator.js';
import { contentType, eventTime, hex, isObj, type Obj } from './sim-support.js';
import { spokenText, svamlProblems, type SvamlEvent } from './svaml-rules.js';

const SINCH_PATH = '/webhooks/sinch/voice';
const SINCH_AMD = {
  human: { status: 'human', reason: 'n/a', duration: 2 },
  machine: { status: 'machine', reason: 'beep', duration: 4 },
} as const;

export class SinchCall implements Dialect {
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
