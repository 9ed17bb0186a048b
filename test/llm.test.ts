import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openAiCompatible } from '../src/providers/llm/openai-compatible.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const llm = (over: Partial<Parameters<typeof openAiCompatible>[0]> = {}) =>
  openAiCompatible({ baseUrl: fake.url, apiKey: 'test-llm-key', defaultModel: 'fake-model', timeoutMs: 2000, ...over });
const request = { messages: [{ role: 'system' as const, content: 'You are Luna.' }, { role: 'user' as const, content: 'hi' }], temperature: 0.7, maxTokens: 250 };

describe('OpenAI-compatible adapter', () => {
  it('sends messages and sampling settings and returns the reply with usage', async () => {
    fake.next({ reply: 'Hello there' });
    const out = await llm().generate(request);
    expect(out).toEqual({ text: 'Hello there', model: 'fake-model', usage: { inputTokens: 11, outputTokens: 2 } });
    expect(fake.requests[0]).toMatchObject({ model: 'fake-model', temperature: 0.7, max_tokens: 250, messages: request.messages });
  });

  it('uses a bot\'s model override', async () => {
    await llm().generate({ ...request, model: 'persona-large' });
    expect(fake.requests[0]!.model).toBe('persona-large');
  });

  it('streams deltas and then the whole reply', async () => {
    fake.next({ reply: 'one two three' });
    const s = llm().stream(request);
    const deltas: string[] = [];
    for await (const d of s.deltas) deltas.push(d);
    expect(deltas.join('')).toBe('one two three');
    expect(deltas.length).toBeGreaterThan(1);
    expect(await s.result).toMatchObject({ text: 'one two three', usage: { outputTokens: 3 } });
    expect(fake.requests[0]!.stream).toBe(true);
  });

  it('retries once after a server error', async () => {
    fake.next({ status: 500 }, { reply: 'second time lucky' });
    expect((await llm().generate(request)).text).toBe('second time lucky');
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up after one retry with a 502 naming the provider, not its key', async () => {
    fake.next({ status: 503 }, { status: 503 });
    const err = await llm().generate(request).catch((e) => e);
    expect(err).toMatchObject({ type: 'provider_error', code: 'provider_error' });
    expect(err.message).toMatch(/^llm: /);
    expect(err.message).not.toContain('test-llm-key');
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry a request the server refuses', async () => {
    const err = await llm({ apiKey: 'wrong-key' }).generate(request).catch((e) => e);
    expect(err).toMatchObject({ type: 'provider_error' });
    expect(err.message).not.toContain('wrong-key');
  });

  it('times out with a 504', async () => {
    fake.next({ delayMs: 1500 });
    const err = await llm({ timeoutMs: 300 }).generate(request).catch((e) => e);
    expect(err).toMatchObject({ type: 'provider_timeout' });
    expect(fake.requests).toHaveLength(1); // a slow model is not asked twice
  });

  it('retries a stream that failed before its first delta', async () => {
    fake.next({ status: 500 }, { reply: 'streamed again' });
    const s = llm().stream(request);
    let text = '';
    for await (const d of s.deltas) text += d;
    expect(text).toBe('streamed again');
    expect((await s.result).text).toBe('streamed again');
    expect(fake.requests).toHaveLength(2);
  });

  it('lets a slow but steady stream finish, timing out only on silence', async () => {
    fake.next({ reply: 'a b c d e f', chunkDelayMs: 150 });
    const s = llm({ timeoutMs: 400 }).stream(request);
    let text = '';
    for await (const d of s.deltas) text += d;
    expect(text).toBe('a b c d e f'); // ~900 ms in all, never 400 ms without a chunk
    fake.next({ delayMs: 1000 });
    const silent = llm({ timeoutMs: 300 }).stream(request);
    await expect((async () => {
      for await (const _ of silent.deltas) void _;
    })()).rejects.toMatchObject({ type: 'provider_timeout' });
  });

  it('surfaces a failed stream as a provider error', async () => {
    fake.next({ status: 500 }, { status: 500 });
    const s = llm().stream(request);
    await expect((async () => {
      for await (const _ of s.deltas) void _;
    })()).rejects.toMatchObject({ type: 'provider_error' });
    await expect(s.result).rejects.toMatchObject({ type: 'provider_error' });
  });

  it('falls back to the configured model after the first one failed twice, and after a timeout at once', async () => {
    fake.next({ status: 503 }, { status: 503 }, { reply: 'from the fallback' });
    const out = await llm({ fallbackModel: 'backup-model' }).generate({ ...request, model: 'persona-large' });
    expect(out).toMatchObject({ text: 'from the fallback', model: 'backup-model' });
    expect(fake.requests.map((r) => r.model)).toEqual(['persona-large', 'persona-large', 'backup-model']);

    fake.reset();
    fake.next({ delayMs: 800 }, { reply: 'streamed by the fallback' });
    const s = llm({ fallbackModel: 'backup-model', timeoutMs: 300 }).stream(request);
    let text = '';
    for await (const d of s.deltas) text += d;
    expect(text).toBe('streamed by the fallback');
    expect(fake.requests.map((r) => r.model)).toEqual(['fake-model', 'backup-model']);
  });

  it('does not fall back when the caller gave up', async () => {
    fake.next({ status: 503 }, { status: 503 }, { reply: 'never' });
    const abort = new AbortController();
    abort.abort();
    await expect(llm({ fallbackModel: 'backup-model' }).generate({ ...request, signal: abort.signal })).rejects.toMatchObject({ type: 'provider_timeout' });
    expect(fake.requests.map((r) => r.model)).not.toContain('backup-model');
  });
});
