import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { openJobs } from './support/drain.js';
import { sendWithRetries, type Call } from './support/load.js';
import { privatePostgresUnavailable } from './support/postgres.js';
import { PUBLIC_URL, addTwilioNumber, adminPost, signup, startFaultWorld, type FaultWorld, type Tenant } from './support/world.js';

// SIGTERM is how an orchestrator stops a process (a deploy, a scale-in): what the process is doing
// must finish, or go to another process, and it must exit cleanly. The fake model answers slowly so
// that work is certainly under way when the signal comes.

const unavailable = privatePostgresUnavailable();
const SLOW_MS = 3_000;

describe.skipIf(unavailable)(`graceful shutdown${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let w: FaultWorld;
  let t: Tenant;
  let failed = false;

  beforeAll(async () => {
    w = await startFaultWorld({ api: 2, workers: 2 }, { JOB_EXPIRE_SECONDS: '30', SHUTDOWN_GRACE_MS: '20000' });
    t = await signup(w.cluster.api[1]!.url!);
  }, 180_000);
  afterAll(async () => w?.close({ keepLogs: failed }), 60_000);

  it('an API process finishes the turns it has under way, takes no new connection, and exits 0', async () => {
    onTestFailed(() => void (failed = true));
    const [api1, api2] = w.cluster.api;
    const survivor = api2!.url!;
    const bot = (await adminPost(survivor, t.key, '/create_bot', { name: 'Slow' })).bot_id as string;
    const turn = (base: string, user: string, message: string, key: string) =>
      fetch(`${base}/conversation_api`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': t.key, 'idempotency-key': key },
        body: JSON.stringify({ creator: bot, user_id: user, message }),
      });

    const inFlight = 4;
    w.llm.next(...Array.from({ length: inFlight }, () => ({ delayMs: SLOW_MS, reply: 'A slow answer.' })));
    const seen = w.llm.requests.length;
    const markers = Array.from({ length: inFlight }, (_, i) => `under way ${i} ${randomBytes(6).toString('hex')}`);
    const pending = markers.map((m, i) => turn(api1!.url!, `slow-${i}`, m, `k-${randomBytes(8).toString('hex')}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { reply?: string } })));
    await waitFor(() => w.llm.requests.length >= seen + inFlight, 'the turns to reach the model');

    const exited = w.cluster.terminate(api1!);
    // Its listener closes at once: a client connecting now is refused there and served by the other process.
    await waitFor(async () => !(await fetch(`${api1!.url}/readyz`).then(() => true, () => false)), 'api-1 to stop accepting connections');
    const late: Call = { kind: 'conversation', marker: `after the signal ${randomBytes(6).toString('hex')}`, attempts: [], status: null, body: null };
    const lateKey = `k-${randomBytes(8).toString('hex')}`;
    await sendWithRetries(late, { targets: [api1!, api2!], offset: 0, giveUpAt: () => Date.now() + 30_000 }, (base) => turn(base, 'late', late.marker, lateKey));

    const answered = await Promise.all(pending);
    const code = await exited;
    const stored = await storedTimes(w, t.accountId, [...markers, late.marker]);

    expect(answered.map((a) => [a.status, a.body.reply])).toEqual(markers.map(() => [200, 'A slow answer.']));
    expect(late.attempts.map((a) => [a.proc, a.status ?? a.error])).toEqual([[api1!.name, 'ECONNREFUSED'], [api2!.name, 200]]);
    expect(code).toBe(0);
    expect(stored).toEqual([...markers, late.marker].map(() => 1));
    await w.cluster.start(api1!);
  }, 120_000);

  it('a worker finishes its running jobs or leaves them to the other worker: every text is answered once', async () => {
    onTestFailed(() => void (failed = true));
    const [worker1, worker2] = w.cluster.workers;
    const api = w.cluster.api[1]!.url!;
    const bot = (await adminPost(api, t.key, '/create_bot', { name: 'Texter' })).bot_id as string;
    const number = await addTwilioNumber(w, t, bot);

    // Worker-2 is paused while the texts arrive, so worker-1 takes the first jobs (sms.inbound runs 4 at a time per worker).
    const texts = 8;
    w.llm.next(...Array.from({ length: texts }, () => ({ delayMs: SLOW_MS, reply: 'Texted back.' })));
    const seen = w.llm.requests.length;
    worker2!.child!.kill('SIGSTOP');
    const fans = Array.from({ length: texts }, (_, i) => `+1628556${String(1000 + i)}`);
    const markers = fans.map((_, i) => `text ${i} ${randomBytes(6).toString('hex')}`);
    for (const [i, from] of fans.entries()) {
      const sid = `SM${randomBytes(16).toString('hex')}`;
      const form = { MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, AccountSid: w.tw.account.sid, From: from, To: number, Body: markers[i]!, NumMedia: '0', NumSegments: '1', ApiVersion: '2010-04-01' };
      const signature = twilio.getExpectedTwilioSignature(w.tw.account.token, `${PUBLIC_URL}/webhooks/twilio/sms`, form);
      const res = await fetch(`${api}/webhooks/twilio/sms`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(form).toString() });
      expect(res.status).toBe(200);
    }
    await waitFor(() => w.llm.requests.length >= seen + 2, 'worker-1 to be answering texts');
    worker2!.child!.kill('SIGCONT');
    const code = await w.cluster.terminate(worker1!);

    // Every fan gets exactly one answer, whoever made it.
    await waitFor(() => fans.every((f) => w.tw.sent.some((m) => m.to === f)), 'an answer to every text', 90_000);
    await waitFor(async () => Object.keys(await openJobs(w)).length === 0, 'the job queue to empty', 90_000);
    const answers = fans.map((f) => w.tw.sent.filter((m) => m.to === f).length);
    const stored = await storedTimes(w, t.accountId, markers);

    expect(code).toBe(0);
    expect(answers).toEqual(fans.map(() => 1));
    expect(stored).toEqual(markers.map(() => 1));
    await w.cluster.start(worker1!);
  }, 180_000);
});

async function storedTimes(w: FaultWorld, accountId: string, markers: string[]): Promise<number[]> {
  const rows = await sql<{ content: string; n: number }>`
    select content, count(*)::int as n from messages where account_id = ${accountId} and role = 'user' and content = any(${markers}::text[]) group by content`.execute(w.database.db);
  const by = new Map(rows.rows.map((r) => [r.content, r.n]));
  return markers.map((m) => by.get(m) ?? 0);
}

async function waitFor(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
