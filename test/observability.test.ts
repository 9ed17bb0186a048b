import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { openTestDatabase, startHarness, testConfig, type Harness } from './support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { waitUntil } from './support/wait.js';

/** One sample's value from Prometheus text, by metric name and a subset of its labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}

let fake: FakeOpenAi;
let receiver: WebhookReceiver;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAi('llm-secret');
  receiver = await startWebhookReceiver();
  h = await startHarness({ ...modelEnv(fake), ALLOW_PRIVATE_URLS: 'true', METRICS_TOKEN: 'metrics-token-0123456789' });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
  await receiver?.close();
});

const scrape = async () => {
  const res = await h.request('GET', '/metrics', { bearer: 'metrics-token-0123456789' });
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toContain('text/plain');
  return res.body as string;
};

describe('/metrics', () => {
  it('is refused without the METRICS_TOKEN and served with it', async () => {
    for (const bearer of [undefined, 'wrong-token-0123456789']) {
      const res = await h.request('GET', '/metrics', bearer ? { bearer } : {});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_metrics_token');
    }
    expect(await scrape()).toContain('sinth_process_cpu_seconds_total');
  });

  it('times requests by route pattern and status', async () => {
    const before = await scrape();
    const labels = { method: 'GET', route: '/get_bot', status: '400' };
    const { key } = await h.signup();
    await h.request('GET', '/get_bot', { key, query: { bot_id: 'bot_doesnotexist' } });
    await h.request('GET', '/no/such/path');
    const after = await scrape();
    expect(sample(after, 'sinth_http_request_duration_seconds_count', labels)).toBe(sample(before, 'sinth_http_request_duration_seconds_count', labels) + 1);
    expect(sample(after, 'sinth_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBeGreaterThan(0);
    // Ids never become labels.
    expect(after).not.toContain('bot_doesnotexist');
  });

  it('counts model calls, their failures and tokens per provider', async () => {
    const { say } = await botWithKey(h, { name: 'Metric bot' });
    const before = await scrape();
    fake.next({ reply: 'one two three' });
    expect((await say('fan-m', 'hello')).status).toBe(200);
    fake.next({ status: 500 }, { status: 500 });
    expect((await say('fan-m', 'again')).status).toBeGreaterThanOrEqual(500);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('sinth_provider_request_duration_seconds_count', { provider: 'llm', outcome: 'ok' })).toBe(1);
    expect(delta('sinth_provider_errors_total', { provider: 'llm' })).toBe(1);
    expect(delta('sinth_model_tokens_total', { model: 'persona-1', kind: 'input' })).toBe(11);
    expect(delta('sinth_model_tokens_total', { model: 'persona-1', kind: 'output' })).toBe(3);
  });

  it('reports queue depth and the age of the oldest due job, read from the database', async () => {
    // An API process runs no jobs: what it queues stays queued.
    const api = await startHarness({}, { role: 'api' });
    try {
      await api.deps.jobs.send('knowledge.ingest', { source_id: 'src_metrics1' });
      await api.deps.jobs.send('knowledge.ingest', { source_id: 'src_metrics2' }, { startAfterSeconds: 3600 });
      const text = (await api.request('GET', '/metrics')).body as string;
      expect(sample(text, 'sinth_job_queue_depth', { queue: 'knowledge.ingest', state: 'created' })).toBe(2);
      // Only the due job ages; the one waiting an hour is not late.
      const age = sample(text, 'sinth_job_queue_oldest_age_seconds', { queue: 'knowledge.ingest' });
      expect(age).toBeGreaterThan(0);
      expect(age).toBeLessThan(3600);
    } finally {
      await api.close();
    }
  });

  it('times jobs by queue and outcome', async () => {
    const before = await scrape();
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    // A bot deleted with no erase delay is erased by a job at once.
    expect((await h.request('POST', '/delete_bot', { key, body: { bot_id: bot.bot_id } })).status).toBe(200);
    await waitUntil(async () => sample(await scrape(), 'sinth_job_duration_seconds_count', { queue: 'bots.erase', outcome: 'completed' }), (n) => n > sample(before, 'sinth_job_duration_seconds_count', { queue: 'bots.erase', outcome: 'completed' }), 'the erase job to be counted', 20_000);
  });

  it('measures webhook delivery latency and lag', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Hooked' });
    const added = await h.request('POST', '/add_webhook', { key, body: { url: receiver.url, events: ['user.created'] } });
    receiver.setSecret(added.body.secret);
    const before = await scrape();
    expect((await h.request('POST', '/create_user', { key, body: { bot_id: botId, user_id: 'fan-hook' } })).status).toBe(200);
    await waitUntil(async () => receiver.verified('user.created').length, (n) => n > 0, 'the delivery');
    const after = await waitUntil(scrape, (t) => sample(t, 'sinth_webhook_delivery_lag_seconds_count') > sample(before, 'sinth_webhook_delivery_lag_seconds_count'), 'the lag to be observed', 20_000);
    expect(sample(after, 'sinth_provider_request_duration_seconds_count', { provider: 'webhook', outcome: 'ok' })).toBeGreaterThan(0);
    expect(sample(after, 'sinth_backlog', { kind: 'webhook_deliveries' })).toBeGreaterThanOrEqual(0);
  });
});

describe('logs', () => {
  it('are JSON lines naming the request and the account, without keys or message bodies', async () => {
    const lines: Array<Record<string, any>> = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(JSON.parse(String(chunk))), done()) });
    const database = await openTestDatabase();
    const server = await startServer(testConfig({ ...modelEnv(fake), LOG_LEVEL: 'info' }), { database, listen: false, log: createLogger('info', sink) });
    try {
      const app = server.app!;
      const signup = await app.inject({ method: 'POST', url: '/create_account', payload: { email: `log-${Date.now()}@example.com`, password: 'correct horse battery' } });
      const { api_key: key, account_id: accountId } = signup.json();
      const bot = (await app.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key }, payload: { name: 'Quiet' } })).json();
      fake.next({ reply: 'a secret reply text' });
      lines.length = 0;
      const res = await app.inject({ method: 'POST', url: '/conversation_api', headers: { 'api-key': key, 'x-request-id': 'req-log-test-1' }, payload: { creator: bot.bot_id, user_id: 'fan-log', message: 'my private message body' } });
      expect(res.statusCode).toBe(200);
      const mine = lines.filter((l) => l.reqId === 'req-log-test-1');
      expect(mine.length).toBeGreaterThan(0);
      const completed = mine.find((l) => l.msg === 'request completed')!;
      expect(completed).toMatchObject({ accountId, res: { statusCode: 200 } });
      const all = JSON.stringify(lines);
      expect(all).not.toContain(key);
      expect(all).not.toContain('my private message body');
      expect(all).not.toContain('a secret reply text');
    } finally {
      await server.close();
      await database.close();
    }
  });
});
