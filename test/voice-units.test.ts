import { describe, expect, it } from 'vitest';
import { utterances } from '../src/features/voice/call-plan.js';
import { pieInput } from '../src/features/voice/sinch-events.js';
import { toSvaml } from '../src/features/voice/sinch-svaml.js';
import { svamlProblems } from '../src/features/voice/simulator/svaml-rules.js';
import { revokesCalls, voiceTools } from '../src/features/voice/voice-intents.js';
import { sinchCalloutOrigin, sinchManageOrigin, sinchRegionOrigin } from '../src/providers/voice/sinch-voice.js';
import { sinchSignature } from '../src/features/voice/sinch-callback-auth.js';

const settings = { locale: 'en-US', voice: null, barge_in: true, silence_timeout_seconds: 5 };

describe('voice pieces', () => {
  it('signs as Sinch\'s published test vector does', () => {
    const body = '{"event":"ace","callid":"822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257","timestamp":"2014-09-24T10:59:41Z","version":1}';
    expect(sinchSignature('BeIukql3pTKJ8RGL5zo0DA==', { method: 'POST', path: '/sinch/callback/ace', contentType: 'application/json', timestamp: '2014-09-24T10:59:41Z', body })).toBe('Tg6fMyo8mj9pYfWQ9ssbx3Tc1BNC87IEygAfLbJqZb4=');
  });

  it('cuts long replies into utterances of at most 600 characters at sentence ends, and keeps the prompt syntax intact', () => {
    const long = Array.from({ length: 30 }, (_, i) => `Sentence number ${i}; with [brackets] inside.`).join(' ');
    const parts = utterances(long);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 600 && /\.$/.test(p))).toBe(true);
    expect(parts.join(' ')).toBe(long);
    const svaml = toSvaml({ say: [long], next: { kind: 'listen' } }, settings, 'pie');
    expect(svamlProblems('pie', svaml)).toEqual([]);
    expect(toSvaml({ say: [long], next: { kind: 'hangup' } }, settings, 'ice').instructions.filter((i) => i.name === 'say')).toHaveLength(parts.length);
  });

  it('refuses to render a transfer as an ACE answer (connectPstn is not allowed there)', () => {
    expect(() => toSvaml({ say: [], next: { kind: 'transfer', number: '+14155550199', cli: '+14155550100', maxDurationSeconds: 600 } }, settings, 'ace')).toThrow();
    expect(svamlProblems('pie', toSvaml({ say: ['One moment.'], next: { kind: 'transfer', number: '+14155550199', cli: '+14155550100', maxDurationSeconds: 600 } }, settings, 'pie'))).toEqual([]);
  });

  it('reads a PIE: voice words, keys, silence and hangup', () => {
    expect(pieInput({ type: 'sequence', value: ' hello ', inputMethod: 'voice' })).toEqual({ kind: 'speech', text: 'hello' });
    expect(pieInput({ type: 'sequence', value: '12x', inputMethod: 'dtmf' })).toEqual({ kind: 'speech', text: '(pressed 12)' });
    expect(pieInput({ type: 'timeout' })).toEqual({ kind: 'silence' });
    expect(pieInput({ type: 'sequence', value: '' })).toEqual({ kind: 'silence' });
    expect(pieInput({ type: 'hangup' })).toBe('hangup');
  });

  it('places callouts in the bot\'s region unless a base URL replaces the hosts', () => {
    expect(sinchCalloutOrigin({ appKey: 'k', appSecret: 's', baseUrl: null }, 'euc1')).toBe('https://calling-euc1.api.sinch.com');
    expect(sinchCalloutOrigin({ appKey: 'k', appSecret: 's', baseUrl: null }, 'global')).toBe('https://calling.api.sinch.com');
    expect(sinchCalloutOrigin({ appKey: 'k', appSecret: 's', baseUrl: 'http://127.0.0.1:4010' }, 'euc1')).toBe('http://127.0.0.1:4010');
  });

  it('manages calls only on Sinch calling hosts (or the configured base URL)', () => {
    const creds = { appKey: 'k', appSecret: 's', baseUrl: null };
    expect(sinchRegionOrigin('global')).toBe('https://calling.api.sinch.com');
    expect(sinchRegionOrigin('euc1')).toBe('https://calling-euc1.api.sinch.com');
    expect(sinchManageOrigin(creds, 'https://calling-apse2.api.sinch.com/calling/v1/calls/id/1')).toBe('https://calling-apse2.api.sinch.com');
    for (const bad of ['https://calling.api.sinch.com.evil.example/x', 'http://calling.api.sinch.com/x', 'https://calling.api.sinch.com:8443/x', 'not a url', 42]) {
      expect(sinchManageOrigin(creds, bad), String(bad)).toBeNull();
    }
    expect(sinchManageOrigin({ ...creds, baseUrl: 'http://127.0.0.1:4010' }, 'http://127.0.0.1:4010/calling/v1/calls/id/1')).toBe('http://127.0.0.1:4010');
  });

  it('offers the link tool only when the bot has a link and can text, and takes a yes after the offer', () => {
    expect(Object.keys(voiceTools({ hasTransferNumber: true, calendarLink: null, canText: true, linkOffered: false }))).toEqual(['transfer_to_human']);
    const offered = voiceTools({ hasTransferNumber: false, calendarLink: 'https://cal.example', canText: true, linkOffered: true });
    expect(offered.send_calendar_link!.asked!.test('yes please')).toBe(true);
    expect(voiceTools({ hasTransferNumber: false, calendarLink: 'https://cal.example', canText: true, linkOffered: false }).send_calendar_link!.asked!.test('yes please')).toBe(false);
    expect(offered.transfer_to_human!.asked!.test('can I speak with a real person')).toBe(true);
    expect(offered.transfer_to_human!.asked!.test('a person I know told me about you')).toBe(false);
    expect(offered.transfer_to_human!.asked!.test('I want to talk to you about my agent')).toBe(false);
    expect(offered.transfer_to_human!.asked!.test('I need to talk about the person who called me')).toBe(false);
    expect(offered.transfer_to_human!.asked!.test('please put me through to your manager')).toBe(true);
  });

  it('hears a revocation of calls, not every "stop"', () => {
    expect(revokesCalls('please stop calling me')).toBe(true);
    expect(revokesCalls("don't call me again")).toBe(true);
    expect(revokesCalls('stop, let me think')).toBe(false);
    expect(revokesCalls('I never stop smiling when you call')).toBe(false);
  });
});
