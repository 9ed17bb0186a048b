import { DOMParser } from 'linkedom';
import { ownEntry } from '../../../core/own-entry.js';

export interface TwimlGather {
  /** As written in the document ('' when absent: Twilio then requests the document's own URL again). */
  action: string;
  language?: string;
  input: string;
  speechTimeout?: string;
  timeout?: string;
  actionOnEmptyResult?: boolean;
  bargeIn?: boolean;
}

export interface TwimlDial {
  number: string;
  callerId?: string;
  action?: string;
}

/**
 * What Twilio does with a TwiML document, read the way Twilio runs it: verbs in order until one that
 * leaves the document (Gather, Dial, Hangup, Reject, Redirect). Verbs after a Gather run only when it
 * ends without input and actionOnEmptyResult is not true; they are `noInput`.
 */
export interface TwimlPlan {
  spoken: string[];
  gather: TwimlGather | null;
  dial: TwimlDial | null;
  hangup: boolean;
  redirect: string | null;
  noInput: TwimlPlan | null;
  /** Everything Twilio would refuse or the bot should not send, over the whole document. */
  problems: string[];
}

const VERBS = new Set(['Say', 'Gather', 'Dial', 'Hangup', 'Redirect', 'Pause', 'Record', 'Start', 'Reject', 'Play']);
const CHILDREN: Record<string, readonly string[]> = { Response: [...VERBS], Gather: ['Say', 'Play', 'Pause'], Dial: ['Number'], Start: ['Recording'] };
const E164 = /^\+[1-9]\d{6,14}$/;

/** The few DOM members used here (the project compiles without the DOM lib). */
interface El {
  tagName: string;
  children: ArrayLike<El>;
  textContent: string | null;
  getAttribute(name: string): string | null;
}

export function readTwiml(xml: string): TwimlPlan {
  const root = xml.trim() ? (new DOMParser().parseFromString(xml, 'text/xml').documentElement as unknown as El | null) : null;
  if (!root?.tagName) return { ...emptyPlan(), problems: ['the answer is not an XML document'] };
  const problems: string[] = [];
  if (root.tagName !== 'Response') problems.push(`the root element is <${root.tagName}>, not <Response>`);
  else checkChildren(root, problems);
  return { ...planOf(Array.from(root.children)), problems };
}

function emptyPlan(): TwimlPlan {
  return { spoken: [], gather: null, dial: null, hangup: false, redirect: null, noInput: null, problems: [] };
}

function checkChildren(el: El, problems: string[]): void {
  // <Say> may hold SSML tags (<break>, <prosody>, ...), which Twilio reads as part of the speech.
  if (el.tagName === 'Say') return;
  const allowed = ownEntry(CHILDREN, el.tagName) ?? [];
  for (const child of Array.from(el.children)) {
    const name = child.tagName;
    if (!allowed.includes(name)) {
      const known = VERBS.has(name) || name === 'Number' || name === 'Recording';
      problems.push(known ? `<${name}> is not allowed inside <${el.tagName}>` : `unknown TwiML element <${name}>`);
      continue;
    }
    if (name === 'Gather') {
      const input = attr(child, 'input') ?? 'dtmf';
      if (!input.split(/\s+/).includes('speech')) problems.push(`<Gather input="${input}"> does not listen for speech`);
    }
    if (name === 'Dial') {
      const number = dialNumber(child);
      if (!E164.test(number)) problems.push(`<Dial> needs an E.164 <Number> (got ${JSON.stringify(number)})`);
    }
    checkChildren(child, problems);
  }
}

function planOf(verbs: El[]): TwimlPlan {
  const plan = emptyPlan();
  for (const [i, el] of verbs.entries()) {
    switch (el.tagName) {
      case 'Say':
        plan.spoken.push(...sayText(el));
        break;
      case 'Gather':
        for (const say of Array.from(el.children)) if (say.tagName === 'Say') plan.spoken.push(...sayText(say));
        plan.gather = gatherOf(el);
        plan.noInput = planOf(verbs.slice(i + 1));
        return plan;
      case 'Dial':
        plan.dial = { number: dialNumber(el), ...optional({ callerId: attr(el, 'callerId'), action: attr(el, 'action') }) };
        return plan;
      case 'Hangup':
      case 'Reject':
        plan.hangup = true;
        return plan;
      case 'Redirect':
        plan.redirect = text(el);
        return plan;
    }
  }
  return plan;
}

function gatherOf(el: El): TwimlGather {
  const flag = (name: string) => {
    const v = attr(el, name);
    return v === undefined ? undefined : v === 'true';
  };
  return {
    action: attr(el, 'action') ?? '',
    input: attr(el, 'input') ?? 'dtmf',
    ...optional({
      language: attr(el, 'language'),
      speechTimeout: attr(el, 'speechTimeout'),
      timeout: attr(el, 'timeout'),
      actionOnEmptyResult: flag('actionOnEmptyResult'),
      bargeIn: flag('bargeIn'),
    }),
  };
}

function dialNumber(dial: El): string {
  const number = Array.from(dial.children).find((c) => c.tagName === 'Number');
  return text(number ?? dial);
}

function sayText(el: El): string[] {
  const t = text(el);
  return t ? [t] : [];
}

function text(el: El): string {
  return (el.textContent ?? '').replace(/\s+/g, ' ').trim();
}

// linkedom hands attribute values back with &, < and > escaped again; undo exactly that once.
function attr(el: El, name: string): string | undefined {
  const v = el.getAttribute(name);
  if (v === null) return undefined;
  return v.replace(/&(amp|lt|gt);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>' })[e as 'amp' | 'lt' | 'gt']);
}

/** Drops undefined fields, so plans compare cleanly and print without noise. */
function optional<T extends Record<string, unknown>>(o: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}
