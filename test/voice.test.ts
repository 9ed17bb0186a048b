import { describe, expect, it } from 'vitest';
import { callRows, caller, useVoiceWorld, voiceBot, type VoiceWorld } from './support/voice.js';

let w: VoiceWorld;
useVoiceWorld((world) => (w = world));

describe.each(['sinch', 'twilio'] as const)('an inbound call over %s', (provider) => {
  it('greets the caller, answers each utterance with the engine, and closes the record', async () => {
    const bot = await voiceBot(w, { provider });
    w.llm.next({ reply: 'We open at nine.' });
    const call = caller(w, provider, bot.number);
    const hello = await call.start();
    expect(hello.problems).toEqual([]);
    expect(hello.state).toBe('listening');
    expect(hello.spoken.join(' ')).toContain('Hi, this is Luna');
    const answer = await call.say('When do you open?');
    expect(answer.problems).toEqual([]);
    expect(answer.spoken.join(' ')).toContain('We open at nine.');
    expect(w.llm.requests.at(-1)!.messages.at(-1).content).toBe('When do you open?');
    expect(await call.hangup({ duration: 42 })).toBeLessThan(300);
    const [row] = await callRows(w, bot.botId);
    expect(row).toMatchObject({ direction: 'inbound', provider, status: 'completed', duration_seconds: 42 });
    const detail = await w.h.request('GET', '/get_call', { key: bot.key, query: { call_id: row!.id } });
    expect(detail.status).toBe(200);
    expect(detail.body.transcript.map((t: any) => [t.role, t.kind])).toEqual([['bot', 'greeting'], ['caller', 'speech'], ['bot', 'speech']]);
    expect(detail.body.latency.turns).toBe(2);
  });
});
