import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { waitUntil } from './support/wait.js';

let h: Harness;
let rec: WebhookReceiver;
// The server's default: ALLOW_PRIVATE_URLS=false.
beforeAll(async () => {
  h = await startHarness({ ALLOW_PRIVATE_URLS: 'false' }, { role: 'all' });
  rec = await startWebhookReceiver();
});
afterAll(async () => {
  await rec.close();
  await h.close();
});

describe('webhooks and private addresses', () => {
  it('refuses to add an endpoint at a private, loopback or link-local address, naming url', async () => {
    const { key } = await h.signup();
    for (const url of [rec.url, 'http://localhost:8080/hook', 'http://api.localhost/hook', 'http://[::1]/hook', 'https://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/hook']) {
      const res = await h.request('POST', '/add_webhook', { key, body: { url, events: ['*'] } });
      expect([url, res.status, res.body.error?.param]).toEqual([url, 400, 'url']);
      expect(res.body.error.message).toContain('non-public address');
    }
    expect((await h.request('GET', '/get_webhooks', { key })).body.data).toEqual([]);
  });

  it('refuses at connect time a delivery whose address became private: the attempt says why and nothing is received', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    // A public address passes the check at creation; then its "DNS" points at this machine, which
    // only the connect-time check (on the address really used) can catch.
    const added = await h.request('POST', '/add_webhook', { key, body: { url: 'https://93.184.215.14/hook', events: ['user.created'] } });
    expect(added.status).toBe(200);
    await h.database.db.updateTable('webhooks').set({ url: rec.url }).where('id', '=', added.body.webhook_id).execute();

    expect((await h.request('POST', '/create_user', { key, body: { bot_id: bot.bot_id, user_id: 'fan-private' } })).status).toBe(200);
    const [d] = await waitUntil(
      async () => (await h.request('GET', '/get_webhook_deliveries', { key, query: { webhook_id: added.body.webhook_id } })).body.data,
      (l: any[]) => l[0]?.status === 'failed',
      'the refused attempt',
      20_000,
    );
    expect(d.last_status_code).toBeNull();
    expect(d.last_error).toMatch(/^refused: 127\.0\.0\.1 is a private, loopback or otherwise non-public address/);
    expect(d.attempts).toHaveLength(1);
    expect(rec.received).toEqual([]);
  });
});
