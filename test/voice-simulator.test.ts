import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSinchCallback } from '../src/features/voice/sinch-callback-auth.js';
import { CallSimulator, httpTransport } from '../src/features/voice/simulator/call-simulator.js';
import { parseCallSimArgs, runCallSim } from '../src/features/voice/simulator/call-sim-command.js';
import { spokenText, svamlProblems } from '../src/features/voice/simulator/svaml-rules.js';
import { readTwiml } from '../src/features/voice/simulator/twiml-reader.js';

const menu = (prompt: string, extra: Record<string, unknown> = {}) => ({
  name: 'runMenu',
  locale: 'en-US',
  enableVoice: true,
  menus: [{ id: 'main', mainPrompt: prompt, options: [{ dtmf: '0', action: 'return(operator)' }] }],
  ...extra,
});

describe('svamlProblems', () => {
  it('passes a valid ICE answer: say, then a voice menu', () => {
    const svaml = {
      instructions: [{ name: 'answer' }, { name: 'setCookie', key: 'turn', value: '1' }, { name: 'say', text: 'Hi there', locale: 'en-US' }],
      action: {
        ...menu('#tts[How can I help?];https://example.com/beep.mp3'),
        menus: [
          { id: 'main', mainPrompt: '#tts[How can I help?]', repeatPrompt: '#tts[Sorry?]', options: [{ dtmf: 1, action: 'menu(more)' }] },
          { id: 'more', mainPrompt: '#ssml[<speak>More</speak>]' },
        ],
      },
    };
    expect(svamlProblems('ice', svaml)).toEqual([]);
  });

  it('refuses connectPstn in an ACE answer but takes it in a PIE answer', () => {
    const svaml = { action: { name: 'connectPstn', number: '+14045550001', cli: '+14045550000', maxDuration: 3600 } };
    expect(svamlProblems('ace', svaml)).toEqual([expect.stringMatching(/connectPstn is not allowed in answer to ACE/)]);
    expect(svamlProblems('pie', svaml)).toEqual([]);
  });

  it('refuses the answer instruction outside ICE', () => {
    const svaml = { instructions: [{ name: 'answer' }], action: { name: 'hangup' } };
    expect(svamlProblems('pie', svaml)).toEqual([expect.stringMatching(/instructions\[0\]: answer is not allowed in answer to PIE/)]);
    expect(svamlProblems('ice', svaml)).toEqual([]);
  });

  it('wants exactly one action', () => {
    expect(svamlProblems('ice', { instructions: [{ name: 'say', text: 'Bye' }] })).toEqual([expect.stringMatching(/no action/)]);
    expect(svamlProblems('ice', { action: [{ name: 'hangup' }, { name: 'hangup' }] })).toEqual([expect.stringMatching(/2 actions/)]);
    expect(svamlProblems('ice', { action: { name: 'hangup' }, actions: [{ name: 'hangup' }] })).toEqual([expect.stringMatching(/unknown top-level field "actions"/)]);
    expect(svamlProblems('ice', '{"action":{"name":"hangup"}}')).toEqual(['the answer is not a JSON object']);
  });

  it('wants a runMenu with a menu called main, each option pointing somewhere', () => {
    const svaml = { action: { name: 'runMenu', menus: [{ id: 'start', mainPrompt: '#tts[Hi]', options: [{ dtmf: '1', action: 'menu(nowhere)' }] }] } };
    expect(svamlProblems('ice', svaml)).toEqual([
      expect.stringMatching(/no menu has id "main"/),
      expect.stringMatching(/options\[0\]\.action menu\(nowhere\) names no menu/),
    ]);
  });

  it('wants a locale when voice input is on', () => {
    expect(svamlProblems('pie', { action: menu('#tts[Go on]', { locale: undefined }) })).toEqual([expect.stringMatching(/locale is required when enableVoice/)]);
    expect(svamlProblems('pie', { action: menu('#tts[Go on]') })).toEqual([]);
  });

  it('holds say text to 600 characters', () => {
    const say = (text: string) => ({ instructions: [{ name: 'say', text }], action: { name: 'hangup' } });
    expect(svamlProblems('pie', say('a'.repeat(600)))).toEqual([]);
    expect(svamlProblems('pie', say('a'.repeat(601)))).toEqual([expect.stringMatching(/601 characters, over Sinch's 600/)]);
    expect(svamlProblems('pie', say(''))).toEqual([expect.stringMatching(/non-empty string/)]);
  });

  it('refuses brackets and semicolons inside a #tts prompt', () => {
    expect(svamlProblems('ice', { action: menu('#tts[Say [yes] or no]') })).toEqual([expect.stringMatching(/contains "\[" or "\]"/)]);
    expect(svamlProblems('ice', { action: menu('#tts[Yes; or no]') })).toHaveLength(2);
    expect(svamlProblems('ice', { action: menu(`#tts[${'a'.repeat(601)}]`) })).toEqual([expect.stringMatching(/601 characters/)]);
  });

  it('checks connectPstn numbers and duration', () => {
    const problems = svamlProblems('ice', { action: { name: 'connectPstn', number: '4045550001', cli: '+14045550000', maxDuration: 20000 } });
    expect(problems).toEqual([expect.stringMatching(/number must be E\.164/), expect.stringMatching(/maxDuration must be/)]);
  });
});

describe('spokenText', () => {
  it('lists say texts and #tts files in order, then the main menu prompt', () => {
    const svaml = {
      instructions: [
        { name: 'playFiles', ids: ['#tts[One]', 'https://example.com/a.mp3'], locale: 'en-US' },
        { name: 'say', text: 'Two' },
      ],
      action: { name: 'runMenu', locale: 'en-US', menus: [{ id: 'other', mainPrompt: '#tts[Not this]' }, { id: 'main', mainPrompt: '#tts[Three];#tts[Four]' }] },
    };
    expect(spokenText(svaml)).toEqual(['One', 'Two', 'Three', 'Four']);
    expect(spokenText({ action: { name: 'hangup' } })).toEqual([]);
  });
});

describe('readTwiml', () => {
  it('reads a gather loop: the prompt inside Gather, its action, and what runs on silence', () => {
    const plan = readTwiml(`<?xml version="1.0" encoding="UTF-8"?>
      <Response>
        <Say>Welcome.</Say>
        <Gather input="speech" action="/webhooks/twilio/voice/gather?call_id=c1&amp;turn=2" speechTimeout="auto" language="en-US" actionOnEmptyResult="true">
          <Say voice="Polly.Joanna">How can I help?</Say>
        </Gather>
        <Say>Still there?</Say>
        <Redirect method="POST">/webhooks/twilio/voice/reprompt</Redirect>
      </Response>`);
    expect(plan.problems).toEqual([]);
    expect(plan.spoken).toEqual(['Welcome.', 'How can I help?']);
    expect(plan.gather).toEqual({ action: '/webhooks/twilio/voice/gather?call_id=c1&turn=2', input: 'speech', speechTimeout: 'auto', language: 'en-US', actionOnEmptyResult: true });
    expect(plan.noInput).toMatchObject({ spoken: ['Still there?'], redirect: '/webhooks/twilio/voice/reprompt' });
    expect(plan.hangup).toBe(false);
  });

  it('reads a dial and checks its number', () => {
    const plan = readTwiml('<Response><Say>Connecting you.</Say><Dial callerId="+15550001111" action="/dial-done"><Number>+15550002222</Number></Dial></Response>');
    expect(plan).toMatchObject({ spoken: ['Connecting you.'], dial: { number: '+15550002222', callerId: '+15550001111', action: '/dial-done' }, problems: [] });
    expect(readTwiml('<Response><Dial>555-0100</Dial></Response>').problems).toEqual([expect.stringMatching(/needs an E\.164 <Number>/)]);
  });

  it('reads a hangup and leaves out what comes after it', () => {
    const plan = readTwiml('<Response><Say>Goodbye.</Say><Hangup/><Say>Never heard</Say></Response>');
    expect(plan).toMatchObject({ spoken: ['Goodbye.'], hangup: true, gather: null, dial: null, problems: [] });
  });

  it('reports unknown verbs, a Gather not listening for speech and a wrong root', () => {
    expect(readTwiml('<Response><Speak>Hi</Speak><Gather action="/g"><Say>Hi</Say></Gather></Response>').problems).toEqual([
      'unknown TwiML element <Speak>',
      '<Gather input="dtmf"> does not listen for speech',
    ]);
    expect(readTwiml('<Response><Gather input="speech"><Dial>+15550002222</Dial></Gather></Response>').problems).toEqual(['<Dial> is not allowed inside <Gather>']);
    expect(readTwiml('<Reply><Say>Hi</Say></Reply>').problems).toEqual(['the root element is <Reply>, not <Response>']);
    expect(readTwiml('').problems).toEqual(['the answer is not an XML document']);
  });
});

// A stand-in for the server: checks each callback's signature as the real routes must, and answers
// from a script.
interface Received {
  path: string;
  body: string;
}
type Reply = { status?: number; type?: string; body: string };

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

async function fakeServer(handle: (req: IncomingMessage, body: string) => Reply) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', body });
      const reply = handle(req, body);
      res.writeHead(reply.status ?? 200, { 'content-type': reply.type ?? 'application/json' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const APP_KEY = '669E367E-6BBA-48AB-AF15-266871C28135';
const APP_SECRET = 'BeIukql3pTKJ8RGL5zo0DA==';

/** A Sinch-facing bot behind the public URL https://bots.example.com/sinth (a proxy strips /sinth). */
function sinchBotReply(req: IncomingMessage, body: string): Reply {
  const failure = checkSinchCallback(
    { appKey: APP_KEY, secretBase64: APP_SECRET, maxAgeSeconds: 600, nowMs: Date.now() },
    { method: req.method ?? '', path: `/sinth${req.url}`, headers: req.headers, body: Buffer.from(body) },
  );
  if (failure) return { status: 401, body: JSON.stringify({ error: failure }) };
  const event = JSON.parse(body) as { event: string; menuResult?: { type: string; value: string } };
  const listen = (text: string) => JSON.stringify({ instructions: [{ name: 'say', text, locale: 'en-US' }], action: menu('#tts[Anything else?]') });
  switch (event.event) {
    case 'ice':
      return { body: JSON.stringify({ instructions: [{ name: 'answer' }], action: menu('#tts[Hi, this is Ava. How can I help?]') }) };
    case 'ace':
      return { body: JSON.stringify({ instructions: [{ name: 'say', text: 'Sorry I missed you, call back soon.' }], action: { name: 'hangup' } }) };
    case 'pie': {
      const r = event.menuResult!;
      if (r.type === 'return') return { body: JSON.stringify({ instructions: [{ name: 'say', text: 'Connecting you.' }], action: { name: 'connectPstn', number: '+15550009999', cli: '+15550001234' } }) };
      if (r.value === 'bad') return { body: JSON.stringify({ instructions: [{ name: 'answer' }], action: { name: 'hangup' } }) };
      return { body: listen(r.type === 'timeout' ? 'Are you still there?' : `You said: ${r.value}`) };
    }
    default:
      return { body: '' };
  }
}
const sinchBot = () => fakeServer(sinchBotReply);

describe('CallSimulator over Sinch', () => {
  const sim = (url: string, appSecret = APP_SECRET) =>
    CallSimulator.sinch({ transport: httpTransport(url), publicUrl: 'https://bots.example.com/sinth/', appKey: APP_KEY, appSecret, from: '+15550100000', to: '+15550001234' });

  it('places a signed inbound call, talks, and reports the hangup', async () => {
    const bot = await sinchBot();
    const call = sim(bot.url);
    expect(call.callId).toMatch(/^[0-9a-f]{32}$/);

    const greeting = await call.start();
    expect(greeting).toMatchObject({ status: 200, state: 'listening', spoken: ['Hi, this is Ava. How can I help?'], problems: [] });
    expect(greeting.elapsedMs).toBeGreaterThan(0);
    const ice = JSON.parse(bot.received[0]!.body);
    expect(bot.received[0]!.path).toBe('/webhooks/sinch/voice');
    expect(ice).toMatchObject({ event: 'ice', callid: call.callId, cli: '+15550100000', to: { type: 'did', endpoint: '+15550001234' }, applicationKey: APP_KEY });
    expect(ice.callResourceUrl).toBe(`https://calling-use1.api.sinch.com/calling/v1/calls/id/${call.callId}`);

    const reply = await call.say('what are your hours');
    expect(reply).toMatchObject({ state: 'listening', spoken: ['You said: what are your hours', 'Anything else?'], problems: [] });
    expect(JSON.parse(bot.received[1]!.body).menuResult).toEqual({ menuId: 'main', type: 'sequence', value: 'what are your hours', inputMethod: 'voice' });

    expect((await call.silence()).spoken[0]).toBe('Are you still there?');
    expect(JSON.parse(bot.received[2]!.body).menuResult).toMatchObject({ type: 'timeout', value: '' });

    expect(await call.hangup({ duration: 42 })).toBe(200);
    expect(JSON.parse(bot.received[3]!.body)).toMatchObject({
      event: 'dice', callid: call.callId, reason: 'CALLERHANGUP', result: 'ANSWERED', duration: 42, from: '+15550100000',
      to: { type: 'number', endpoint: '+15550001234' }, debit: { currencyId: 'USD', amount: 0.0123 },
    });
    expect(call.transcript.map((t) => t.who)).toEqual(['bot', 'caller', 'bot', 'bot', 'bot', 'bot']);
    await expect(call.say('hello?')).rejects.toThrow(/the call is ended/);
  });

  it('turns a key that picks a return() option into a return result, and a connectPstn into a transfer', async () => {
    const bot = await sinchBot();
    const call = sim(bot.url);
    await call.start();
    const step = await call.press('0');
    expect(JSON.parse(bot.received[1]!.body).menuResult).toEqual({ menuId: 'main', type: 'return', value: 'operator', inputMethod: 'dtmf' });
    expect(step).toMatchObject({ state: 'transferred', transferTo: '+15550009999', cli: '+15550001234', spoken: ['Connecting you.'], problems: [] });
  });

  it('reports SVAML the event does not allow', async () => {
    const bot = await sinchBot();
    const call = sim(bot.url);
    await call.start();
    const step = await call.say('bad');
    expect(step.problems).toEqual([expect.stringMatching(/answer is not allowed in answer to PIE/)]);
    expect(step.state).toBe('ended');
  });

  it('answers an outbound call with a machine and hears a voicemail', async () => {
    const bot = await sinchBot();
    const call = sim(bot.url);
    const step = await call.answer({ amd: 'machine', custom: 'campaign-7' });
    expect(JSON.parse(bot.received[0]!.body)).toMatchObject({ event: 'ace', custom: 'campaign-7', amd: { status: 'machine', reason: 'beep' } });
    expect(step).toMatchObject({ state: 'voicemail', spoken: ['Sorry I missed you, call back soon.'], problems: [] });
  });

  it('signs with the secret given: a wrong one is refused by the server', async () => {
    const bot = await sinchBot();
    const step = await sim(bot.url, 'd3JvbmcgYXBwbGljYXRpb24gc2VjcmV0').start();
    expect(step).toMatchObject({ status: 401, state: 'ended', problems: ['the server answered ICE with HTTP 401'] });
  });
});

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-test-token';
const PUBLIC = 'https://bots.example.com/sinth';

/** A Twilio-facing bot; Twilio signs the public URL, so that is what the signature is checked on. */
async function twilioBot() {
  const xml = (inner: string) => ({ type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>` });
  return fakeServer((req, body) => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const signature = String(req.headers['x-twilio-signature'] ?? '');
    if (!twilio.validateRequest(AUTH_TOKEN, signature, PUBLIC + req.url, params)) return { status: 403, type: 'text/plain', body: 'bad signature' };
    const path = new URL(req.url ?? '', 'http://x').pathname;
    const gather = (say: string) => `<Gather input="speech dtmf" action="${PUBLIC}/webhooks/twilio/voice/gather?call_id=c1&amp;n=1" actionOnEmptyResult="true"><Say>${say}</Say></Gather>`;
    switch (path) {
      case '/webhooks/twilio/voice':
        if (params.AnsweredBy === 'machine_end_beep') return xml('<Say>Please call us back.</Say><Hangup/>');
        return xml(gather('Hi, this is Ava.'));
      case '/webhooks/twilio/voice/gather':
        if (params.SpeechResult === 'transfer') return xml('<Dial callerId="+15550001234" action="dial?call_id=c1"><Number>+15550009999</Number></Dial>');
        // Root-relative: resolves to the host's root, outside the /sinth prefix.
        if (params.SpeechResult === 'escape') return xml('<Redirect>/webhooks/twilio/voice/reprompt</Redirect>');
        if (params.SpeechResult) return xml(`<Say>You said ${params.SpeechResult}.</Say>${gather('Anything else?')}`);
        if (params.Digits) return xml(`${gather(`You pressed ${params.Digits}.`)}`);
        return xml('<Redirect>reprompt?call_id=c1</Redirect>');
      case '/webhooks/twilio/voice/reprompt':
        return xml(gather('Are you still there?'));
      case '/webhooks/twilio/voice/dial':
        return xml('<Say>Nobody is free.</Say><Hangup/>');
      default:
        return { type: 'text/xml', body: '<Response/>' };
    }
  });
}

describe('CallSimulator over Twilio', () => {
  const sim = (url: string) => CallSimulator.twilio({ transport: httpTransport(url), publicUrl: PUBLIC, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15550100000', to: '+15550001234' });

  it('places a signed inbound call, talks through the gather loop, and reports the hangup', async () => {
    const bot = await twilioBot();
    const call = sim(bot.url);
    expect(call.callId).toMatch(/^CA[0-9a-f]{32}$/);

    expect(await call.start()).toMatchObject({ status: 200, state: 'listening', spoken: ['Hi, this is Ava.'], problems: [] });
    expect(Object.fromEntries(new URLSearchParams(bot.received[0]!.body))).toMatchObject({
      CallSid: call.callId, AccountSid: ACCOUNT_SID, From: '+15550100000', To: '+15550001234', CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01',
    });

    expect(await call.say('hello')).toMatchObject({ state: 'listening', spoken: ['You said hello.', 'Anything else?'], problems: [] });
    expect(bot.received[1]!.path).toBe('/webhooks/twilio/voice/gather?call_id=c1&n=1');
    expect(Object.fromEntries(new URLSearchParams(bot.received[1]!.body))).toMatchObject({ SpeechResult: 'hello', Confidence: '0.92' });

    // Silence posts without SpeechResult; the answer's relative Redirect is followed.
    expect(await call.silence()).toMatchObject({ state: 'listening', spoken: ['Are you still there?'], problems: [] });
    expect(new URLSearchParams(bot.received[2]!.body).has('SpeechResult')).toBe(false);
    expect(bot.received[3]!.path).toBe('/webhooks/twilio/voice/reprompt?call_id=c1');

    expect((await call.press('42')).spoken).toEqual(['You pressed 42.']);

    expect(await call.hangup({ duration: 30 })).toBe(200);
    expect(bot.received.at(-1)!.path).toBe('/webhooks/twilio/voice/status');
    expect(Object.fromEntries(new URLSearchParams(bot.received.at(-1)!.body))).toMatchObject({ CallStatus: 'completed', CallDuration: '30' });
  });

  it('follows a Dial and reports how the dialled leg ended', async () => {
    const bot = await twilioBot();
    const call = sim(bot.url);
    await call.start();
    expect(await call.say('transfer')).toMatchObject({ state: 'transferred', transferTo: '+15550009999', cli: '+15550001234', problems: [] });
    expect(await call.dialEnded('no-answer')).toMatchObject({ state: 'ended', spoken: ['Nobody is free.'] });
    expect(bot.received.at(-1)!.path).toBe('/webhooks/twilio/voice/dial?call_id=c1');
    expect(Object.fromEntries(new URLSearchParams(bot.received.at(-1)!.body))).toMatchObject({ DialCallStatus: 'no-answer' });
  });

  it('reports a URL that leaves the public URL, which Twilio would request from another server', async () => {
    const bot = await twilioBot();
    const call = sim(bot.url);
    await call.start();
    const step = await call.say('escape');
    expect(step.state).toBe('ended');
    expect(step.problems).toEqual(['https://bots.example.com/webhooks/twilio/voice/reprompt is not under the public URL https://bots.example.com/sinth, so Twilio would call another server']);
  });

  it('answers an outbound call at the Url the server gave, with machine detection', async () => {
    const bot = await twilioBot();
    const call = sim(bot.url);
    const step = await call.answer({ amd: 'machine', voiceUrl: `${PUBLIC}/webhooks/twilio/voice?call_id=c9`, statusUrl: `${PUBLIC}/webhooks/twilio/voice/status?call_id=c9` });
    expect(step).toMatchObject({ state: 'voicemail', spoken: ['Please call us back.'], problems: [] });
    expect(Object.fromEntries(new URLSearchParams(bot.received[0]!.body))).toMatchObject({ Direction: 'outbound-api', CallStatus: 'in-progress', AnsweredBy: 'machine_end_beep' });
    await call.hangup({ result: 'NOANSWER' });
    expect(bot.received[1]!.path).toBe('/webhooks/twilio/voice/status?call_id=c9');
    expect(new URLSearchParams(bot.received[1]!.body).get('CallStatus')).toBe('no-answer');
  });
});

describe('sinth call-sim', () => {
  const settings = { PORT: 8080, SINCH_APPLICATION_KEY: APP_KEY, SINCH_APPLICATION_SECRET: APP_SECRET, SINTH_API_KEY: 'admin-key' };
  const run = async (args: string[], input: string, s: Parameters<typeof runCallSim>[2]) => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d));
    stderr.on('data', (d: Buffer) => (err += d));
    stdin.end(input);
    const code = await runCallSim(args, { stdin, stdout, stderr }, s);
    return { code, out, err };
  };

  it('looks up the bot\'s number, carries the conversation from stdin and hangs up at the end', async () => {
    const server = await fakeServer((req, body) => {
      if (!req.url!.startsWith('/get_phone_numbers')) return sinchBotReply(req, body);
      if (req.headers['api-key'] !== 'admin-key') return { status: 401, body: '{}' };
      const data = [
        { phone_number: '+15550004444', provider: 'twilio', bot_id: 'bot_1', capabilities: { sms: true, voice: true } },
        { phone_number: '+15550003333', provider: 'sinch', bot_id: 'bot_1', capabilities: { sms: true, voice: false } },
        { phone_number: '+15550001234', provider: 'sinch', bot_id: 'bot_1', capabilities: { sms: false, voice: true } },
      ];
      return { body: JSON.stringify({ data, next_cursor: null }) };
    });
    const res = await run(['--bot', 'bot_1', '--url', server.url, '--public-url', 'https://bots.example.com/sinth'], 'what are your hours\n\n/press 9\n/bogus\n/hangup\nnever sent\n', settings);
    expect(res.code).toBe(0);
    expect(server.received[0]!.path).toBe('/get_phone_numbers?bot_id=bot_1&limit=200');
    const events = server.received.slice(1).map((r) => JSON.parse(r.body) as { event: string; menuResult?: { value: string } });
    expect(events.map((e) => e.event)).toEqual(['ice', 'pie', 'pie', 'pie', 'dice']);
    expect(events.map((e) => e.menuResult?.value)).toEqual([undefined, 'what are your hours', '', '9', undefined]);
    expect(res.out.replace(/ \[\d+ ms\]/g, '')).toBe(
      [
        `calling +15550001234 from +15550100000 over sinch (call ${(events[0] as unknown as { callid: string }).callid})`,
        'bot: Hi, this is Ava. How can I help?',
        '(listening)',
        'bot: You said: what are your hours',
        'bot: Anything else?',
        '(listening)',
        'bot: Are you still there?',
        'bot: Anything else?',
        '(listening)',
        'bot: You said: 9',
        'bot: Anything else?',
        '(listening)',
        '(call ended)',
        '',
      ].join('\n'),
    );
    expect(res.err).toBe('not understood: /bogus (type /press 123 or /hangup)\n');
  });

  it('refuses to start without the provider\'s credentials or a number', async () => {
    const noCreds = await run(['--bot', 'bot_1', '--to', '+15550001234'], '', { PORT: 8080 });
    expect(noCreds.code).toBe(2);
    expect(noCreds.err).toMatch(/TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
    const noNumber = await run(['--bot', 'bot_1'], '', { ...settings, SINTH_API_KEY: undefined });
    expect(noNumber.code).toBe(2);
    expect(noNumber.err).toMatch(/give --to/);
    expect(parseCallSimArgs(['--bot', 'b', '--provider', 'skype'])).toEqual({ error: '--provider must be sinch or twilio (got "skype")' });
  });
});
