import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { figuresOf, sendWithRetries, unexcusedFailures, type Call, type Window } from './support/load.js';
import { privatePostgresUnavailable } from './support/postgres.js';
import { PUBLIC_URL, addPhoneUsers, addTwilioNumber, adminPost, signup, startFaultWorld, type FaultWorld, type Tenant } from './support/world.js';
import { NOTHING_LEFT, drained, sessions } from './support/drain.js';

// Two API and two worker processes on a PostgreSQL of the test's own, with fake providers, under
// load: conversation turns, inbound SMS, a 5,000-recipient campaign and the webhooks they set off.
// Meanwhile a worker and an API process are killed with SIGKILL and started again, and PostgreSQL
// restarts. Then nothing may be lost or done twice.

const unavailable = privatePostgresUnavailable();
const CAMPAIGN_SIZE = 5_000;
const LOAD_MS = 60_000;
/** How long clients keep retrying a request after the load stops. */
const CLIENT_PATIENCE_MS = 30_000;
const CONVERSATION_CLIENTS = 6;
const SMS_CLIENTS = 3;
const EVENTS = ['message.received', 'message.sent', 'campaign.finished', 'conversation.created'];

describe.skipIf(unavailable)(`a cluster under faults${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let w: FaultWorld;
  let failed = false;

  beforeAll(async () => {
    w = await startFaultWorld(
      { api: 2, workers: 2 },
      // A dead worker's jobs come back after 30 s, a dead campaign dispatcher is replaced after 5 s.
      { JOB_EXPIRE_SECONDS: '30', CAMPAIGN_STALE_SECONDS: '5', SHUTDOWN_GRACE_MS: '10000', WEBHOOK_TIMEOUT_MS: '5000' },
    );
  }, 180_000);
  afterAll(async () => w?.close({ keepLogs: failed }), 60_000);

  it('loses nothing and does nothing twice through kill -9 of a worker and an API process and a PostgreSQL restart', async () => {
    onTestFailed(() => void (failed = true));
    const { cluster, tw, receiver, database } = w;
    const [api1] = cluster.api;
    const [worker1, worker2] = cluster.workers;

    // The tenant: a chat bot (conversation_api and inbound SMS to its number), a campaign bot with
    // 5,000 texting fans, and a webhook endpoint for message and campaign events.
    const t: Tenant = await signup(api1!.url!);
    const chatBot = (await adminPost(api1!.url!, t.key, '/create_bot', { name: 'Chat' })).bot_id as string;
    const campaignBot = (await adminPost(api1!.url!, t.key, '/create_bot', { name: 'News' })).bot_id as string;
    const chatNumber = await addTwilioNumber(w, t, chatBot);
    const campaignNumber = await addTwilioNumber(w, t, campaignBot, '629');
    const fans = await addPhoneUsers(w, t, campaignBot, CAMPAIGN_SIZE);
    const hook = await adminPost(api1!.url!, t.key, '/add_webhook', { url: receiver.url, events: EVENTS });
    receiver.setSecret(hook.secret);

    // The campaign starts on worker-1 (worker-2 is paused until it has), so killing worker-1 kills its dispatcher.
    cluster.workers[1]!.child!.kill('SIGSTOP');
    const campaign = await adminPost(api1!.url!, t.key, '/send_bulk_messages', {
      bot_id: campaignBot,
      audience: { all: true },
      message: 'Hello {{name}}, the tour dates are out.',
      quiet_hours: false,
      rate_per_second: 1000,
    });
    const campaignId = campaign.campaign_id as string;
    const campaignSent = () => tw.sent.filter((m) => m.from === campaignNumber).length;
    await until(() => campaignSent() > 0, 'the campaign to start sending on worker-1', 60_000);
    worker2!.child!.kill('SIGCONT');

    // The load: clients keep sending until LOAD_MS, and keep retrying what is unanswered a while longer.
    const t0 = Date.now();
    const loadEnd = t0 + LOAD_MS;
    const giveUpAt = () => loadEnd + CLIENT_PATIENCE_MS;
    const calls: Call[] = [];
    const conversationClient = async (vu: number) => {
      for (let n = 0; Date.now() < loadEnd; n++) {
        const marker = `turn ${vu}-${n} ${randomBytes(6).toString('hex')}`;
        const idempotencyKey = `faults-${randomBytes(10).toString('hex')}`;
        const body = JSON.stringify({ creator: chatBot, user_id: `fan-${vu}`, message: marker });
        const call: Call = { kind: 'conversation', marker, attempts: [], status: null, body: null };
        calls.push(call);
        await sendWithRetries(call, { targets: cluster.api, offset: vu + n, giveUpAt }, (base) =>
          fetch(`${base}/conversation_api`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'api-key': t.key, 'idempotency-key': idempotencyKey },
            body,
            signal: AbortSignal.timeout(30_000),
          }),
        );
      }
    };
    const smsFans = Array.from({ length: SMS_CLIENTS }, (_, i) => `+1628555${String(1000 + i)}`);
    const smsSids = new Map<string, string>();
    const smsClient = async (vu: number) => {
      for (let n = 0; Date.now() < loadEnd; n++) {
        const marker = `sms ${vu}-${n} ${randomBytes(6).toString('hex')}`;
        const sid = `SM${randomBytes(16).toString('hex')}`;
        smsSids.set(marker, sid);
        const form = { MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, AccountSid: tw.account.sid, From: smsFans[vu]!, To: chatNumber, Body: marker, NumMedia: '0', NumSegments: '1', ApiVersion: '2010-04-01' };
        const signature = twilio.getExpectedTwilioSignature(tw.account.token, `${PUBLIC_URL}/webhooks/twilio/sms`, form);
        const call: Call = { kind: 'sms', marker, attempts: [], status: null, body: null };
        calls.push(call);
        // Twilio delivers the same message again (same MessageSid) when the first try failed.
        await sendWithRetries(call, { targets: cluster.api, offset: vu + n, giveUpAt }, (base) =>
          fetch(`${base}/webhooks/twilio/sms`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
            body: new URLSearchParams(form).toString(),
            signal: AbortSignal.timeout(15_000),
          }),
        );
        await sleep(300); // a person texting, not a flood
      }
    };
    const clients = Promise.all([
      ...Array.from({ length: CONVERSATION_CLIENTS }, (_, vu) => conversationClient(vu)),
      ...Array.from({ length: SMS_CLIENTS }, (_, vu) => smsClient(vu)),
    ]);

    // The faults. A restart is not waited for (a process starts slowly on a loaded two-core machine):
    // its death window lasts until it is ready again, and the next fault comes on schedule.
    const deaths: Window[] = [];
    const pgRestarts: Window[] = [];
    const restarts: Array<Promise<void>> = [];
    const killAndRestart = async (p: typeof worker1) => {
      const death: Window = { what: 'kill -9', proc: p!.name, from: Date.now(), to: Number.MAX_SAFE_INTEGER };
      deaths.push(death);
      await cluster.kill(p!);
      restarts.push(sleep(2_000).then(() => cluster.start(p!)).then(() => void (death.to = Date.now())));
    };
    await until(() => campaignSent() >= CAMPAIGN_SIZE * 0.2 || Date.now() > t0 + 10_000, 'the campaign to be under way', 60_000);
    const sentBeforeKill = campaignSent();
    await killAndRestart(worker1);

    await sleep(Math.max(0, t0 + 15_000 - Date.now()));
    await killAndRestart(api1);

    await sleep(Math.max(0, t0 + 25_000 - Date.now()));
    const restart: Window = { what: 'PostgreSQL restart', proc: null, from: Date.now(), to: 0 };
    await w.pg.restart();
    // Pools find their connections dead on their next use: failures just after count as the restart's.
    restart.to = Date.now() + 5_000;
    pgRestarts.push(restart);

    await Promise.all(restarts);
    await clients;

    // Drain: the campaign completes, every job, outbox event, delivery and text is done.
    const drainStarted = Date.now();
    const left = await drained(w, t.accountId, campaignId, 150_000);
    const drainMs = Date.now() - drainStarted;

    // What the server stored.
    const userMessages = await sql<{ content: string; n: number }>`
      select content, count(*)::int as n from messages where account_id = ${t.accountId} and role = 'user' group by content`.execute(database.db);
    const storedTimes = new Map(userMessages.rows.map((r) => [r.content, r.n]));
    const inbound = await sql<{ provider_message_id: string; n: number }>`
      select provider_message_id, count(*)::int as n from sms_messages where account_id = ${t.accountId} and direction = 'inbound' group by provider_message_id`.execute(database.db);
    const inboundTimes = new Map(inbound.rows.map((r) => [r.provider_message_id, r.n]));

    const conv = calls.filter((c) => c.kind === 'conversation');
    const sms = calls.filter((c) => c.kind === 'sms');
    const ok = (c: Call) => c.status !== null && c.status < 300;
    const convLost = conv.filter((c) => ok(c) && (storedTimes.get(c.marker) ?? 0) === 0).map((c) => c.marker);
    const convDuplicated = conv.filter((c) => (storedTimes.get(c.marker) ?? 0) > 1).map((c) => c.marker);
    const smsLost = sms.filter((c) => ok(c) && (inboundTimes.get(smsSids.get(c.marker)!) ?? 0) === 0).map((c) => c.marker);
    const smsDuplicated = sms.filter((c) => (inboundTimes.get(smsSids.get(c.marker)!) ?? 0) > 1 || (storedTimes.get(c.marker) ?? 0) > 1).map((c) => c.marker);
    // An inbound text accepted but never added to the conversation (its job's worker died and no retry finished it).
    const smsUnanswered = sms.filter((c) => ok(c) && (storedTimes.get(c.marker) ?? 0) === 0).length;

    // Each SMS the server made was sent at most once: the fake keys its texts by our sms id (status callback).
    const sentPerSmsId = new Map<string, number>();
    for (const m of tw.sent) {
      const id = m.statusCallback ? new URL(m.statusCallback).searchParams.get('sms_id') : null;
      if (id) sentPerSmsId.set(id, (sentPerSmsId.get(id) ?? 0) + 1);
    }
    const textedTwice = [...sentPerSmsId].filter(([, n]) => n > 1).map(([id]) => id);

    // The campaign: every fan got exactly one text.
    const perFan = new Map<string, number>();
    for (const m of tw.sent) if (m.from === campaignNumber) perFan.set(m.to, (perFan.get(m.to) ?? 0) + 1);
    const fansMissed = fans.filter((f) => !perFan.has(f));
    const fansTwice = fans.filter((f) => (perFan.get(f) ?? 0) > 1);
    const campaignRow = await database.db.selectFrom('campaigns').select(['status']).where('id', '=', campaignId).executeTakeFirstOrThrow();
    const recipientStates = await sql<{ state: string; n: number }>`select state, count(*)::int as n from campaign_recipients where campaign_id = ${campaignId} group by state`.execute(database.db);
    const campaignSms = await sql<{ status: string; n: number }>`select status, count(*)::int as n from sms_messages where campaign_id = ${campaignId} group by status`.execute(database.db);

    // Webhooks: every event delivered at least once, every delivery of an event under the event's own webhook-id.
    const events = await database.db.selectFrom('outbox_events').select(['id', 'type']).where('account_id', '=', t.accountId).where('type', 'in', EVENTS).execute();
    const received = receiver.verified();
    const receivedIds = new Set(received.map((r) => r.payload!.id));
    const undelivered = events.filter((e) => !receivedIds.has(e.id)).map((e) => `${e.type} ${e.id}`);
    const unstableIds = received.filter((r) => r.headers['webhook-id'] !== r.payload!.id).map((r) => r.payload!.id);
    const redelivered = received.length - receivedIds.size;

    // Scheduled jobs: two workers, each tick of a schedule run once.
    const schema = sql.id(w.env.JOBS_SCHEMA ?? 'pgboss');
    // A tick is the schedule's period-long slot (tickPeriodSeconds): a job made again for it, however late, is a tick run twice.
    const cronTwice = await sql<{ name: string; minute: Date; n: number }>`
      select j.name, to_timestamp(floor(extract(epoch from j.created_on) / p.seconds) * p.seconds) as minute, count(*)::int as n
      from ${schema}.job j join ${schema}.schedule s on s.name = j.name
        cross join lateral (select coalesce((s.options->>'singletonSeconds')::int, 60) as seconds) p
      group by 1, 2 having count(*) > 1`.execute(database.db);
    const cronRuns = await sql<{ n: number }>`select count(*)::int as n from ${schema}.job j join ${schema}.schedule s on s.name = j.name`.execute(database.db);

    const figures = figuresOf(calls);
    const failures = unexcusedFailures(calls, deaths, pgRestarts);
    const fivexxInRestart = calls.flatMap((c) => c.attempts).filter((a) => a.status !== null && a.status >= 500).length;
    const lines = [
      `fault test figures (load ${LOAD_MS / 1000} s, drain ${(drainMs / 1000).toFixed(1)} s):`,
      `  requests sent: ${figures.requests} (conversation ${conv.length}, inbound SMS ${sms.length}); attempts ${figures.attempts}; 2xx ${figures.ok}; retries ${figures.retries}`,
      `  connection failures ${figures.connectionErrors}; 5xx ${figures.status5xx} (during the PostgreSQL restart: ${fivexxInRestart - failures.filter((f) => f.status !== null).length}); given up unanswered ${figures.unanswered}`,
      `  kills: 2 (${deaths.map((d) => d.proc).join(', ')}; campaign texts before the worker kill: ${sentBeforeKill}); PostgreSQL restarts: ${pgRestarts.length}`,
      `  duplicates: ${convDuplicated.length + smsDuplicated.length + textedTwice.length + fansTwice.length}; lost: ${convLost.length + smsLost.length + fansMissed.length + undelivered.length}`,
      `  inbound SMS left unanswered: ${smsUnanswered}; scheduled job runs: ${cronRuns.rows[0]!.n}, ticks run twice: ${cronTwice.rows.length}`,
      `  campaign: ${campaignRow.status}; texts at the fake ${[...perFan.values()].reduce((a, b) => a + b, 0)} to ${perFan.size} of ${fans.length} fans; recipients ${JSON.stringify(Object.fromEntries(recipientStates.rows.map((r) => [r.state, r.n])))}; sms rows ${JSON.stringify(Object.fromEntries(campaignSms.rows.map((r) => [r.status, r.n])))}`,
      `  webhooks: ${events.length} events, ${received.length} deliveries received (${redelivered} repeats), ${undelivered.length} undelivered`,
      `  left after the drain: ${JSON.stringify(left)}`,
      `  timeline: ${[...deaths, ...pgRestarts].map((d) => `${d.what} ${d.proc ?? ''} +${d.from - t0}..+${d.to - t0} ms (attempts inside: ${attemptsWithin(calls, d)})`).join('; ')}`,
      `  processes that exited on their own: ${cluster.procs.filter((p) => p.child?.exitCode !== null && p.child?.exitCode !== undefined).map((p) => `${p.name} (${p.child!.exitCode})`).join(', ') || 'none'}`,
      ...(smsUnanswered ? [`  unanswered inbound texts: ${JSON.stringify(await unansweredSms(w, t.accountId))}`] : []),
      ...(JSON.stringify(left) !== JSON.stringify(NOTHING_LEFT) ? [`  database sessions busy: ${JSON.stringify(await sessions(w), null, 1)}`] : []),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);

    // One comparison, so a failure shows every broken promise at once.
    expect({
      conversationStoredTwice: convDuplicated,
      conversationAnsweredNotStored: convLost,
      inboundSmsStoredTwice: smsDuplicated,
      inboundSmsAcceptedNotStored: smsLost,
      inboundSmsUnanswered: smsUnanswered,
      scheduledTicksRunTwice: cronTwice.rows.map((r) => `${r.name} ${r.minute.toISOString()} ×${r.n}`),
      textsSentTwice: textedTwice,
      campaignFansTextedTwice: fansTwice,
      // A fan never texted whose row is `sending`: the dispatcher's process died between claiming the text and the provider call.
      campaignFansNeverTexted: fansMissed,
      campaignStatus: campaignRow.status,
      webhookEventsNeverDelivered: undelivered,
      deliveriesWithAnotherWebhookId: unstableIds,
      leftAfterDrain: left,
      failuresOutsideKillAndRestartWindows: failures.map((f) => `${f.proc} ${f.status ?? f.error} at +${f.start - t0} ms (${f.marker})`),
    }).toEqual({
      conversationStoredTwice: [],
      conversationAnsweredNotStored: [],
      inboundSmsStoredTwice: [],
      inboundSmsAcceptedNotStored: [],
      inboundSmsUnanswered: 0,
      scheduledTicksRunTwice: [],
      textsSentTwice: [],
      campaignFansTextedTwice: [],
      campaignFansNeverTexted: [],
      campaignStatus: 'completed',
      webhookEventsNeverDelivered: [],
      deliveriesWithAnotherWebhookId: [],
      leftAfterDrain: NOTHING_LEFT,
      failuresOutsideKillAndRestartWindows: [],
    });
  }, 420_000);
});

async function until(probe: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Attempts that overlapped a window, by outcome. */
function attemptsWithin(calls: Call[], w: Window): string {
  const inside = calls.flatMap((c) => c.attempts).filter((a) => (w.proc === null || a.proc === w.proc) && a.end >= w.from && a.start <= w.to);
  const by = new Map<string, number>();
  for (const a of inside) by.set(String(a.status ?? a.error), (by.get(String(a.status ?? a.error)) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries(by));
}

/** Inbound texts that never reached the conversation: their row, to see when and how far they got. */
async function unansweredSms(w: FaultWorld, accountId: string) {
  const rows = await sql<{ id: string; status: string; created_at: Date; updated_at: Date }>`
    select s.id, s.status, s.created_at, s.updated_at from sms_messages s
    where s.account_id = ${accountId} and s.direction = 'inbound' and s.message_id is null order by s.created_at`.execute(w.database.db);
  return rows.rows.map((r) => `${r.id} ${r.status} created ${r.created_at.toISOString()} updated ${r.updated_at.toISOString()}`);
}
