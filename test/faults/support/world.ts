import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../../src/core/ids.js';
import { openDatabase, type DatabaseHandle } from '../../../src/db/database.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { startFakeOpenAi, type FakeOpenAi } from '../../support/fake-openai.js';
import { randomUsNumber, startFakeTwilio, twilioEnv, type FakeTwilio } from '../../support/fake-twilio.js';
import { startFakeSinchSms, type FakeSinchSms } from '../../support/fake-sinch-sms.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { startCluster, type Cluster } from './cluster.js';
import { startPrivatePostgres, type PrivatePostgres } from './postgres.js';

export const PUBLIC_URL = 'https://sinth-faults.example.test';
const LLM_KEY = 'faults-llm-key';

/** Everything a fault test runs against: its own PostgreSQL, the fakes, and a cluster of real server processes. */
export interface FaultWorld {
  pg: PrivatePostgres;
  /** The test's own connection to the cluster's database (checks and fixtures). */
  database: DatabaseHandle;
  llm: FakeOpenAi;
  tw: FakeTwilio;
  sinch: FakeSinchSms;
  receiver: WebhookReceiver;
  cluster: Cluster;
  env: Record<string, string>;
  close(opts?: { keepLogs?: boolean }): Promise<void>;
}

/**
 * Starts PostgreSQL, migrates it (once, before any server: four processes racing the same DDL is
 * not what is under test), starts the fakes, then the cluster: the first worker alone (it creates
 * pg-boss's queues), then the others together.
 */
export async function startFaultWorld(shape: { api: number; workers: number }, extraEnv: Record<string, string> = {}): Promise<FaultWorld> {
  const pg = await startPrivatePostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'sinth-faults-data-'));
  const database = await openDatabase({ databaseUrl: pg.url, dataDir, poolSize: 4 });
  await migrateToLatest(database.db);
  const llm = await startFakeOpenAi(LLM_KEY);
  const tw = await startFakeTwilio();
  const sinch = await startFakeSinchSms();
  const receiver = await startWebhookReceiver();
  const env: Record<string, string> = {
    DATABASE_URL: pg.url,
    DATA_DIR: dataDir,
    SECRET_KEY: randomBytes(32).toString('hex'),
    PUBLIC_URL,
    ALLOW_PRIVATE_URLS: 'true',
    RATE_LIMITS: 'false',
    LOG_LEVEL: 'warn',
    LLM_BASE_URL: llm.url,
    LLM_API_KEY: LLM_KEY,
    LLM_MODEL: 'persona-1',
    LLM_TIMEOUT_MS: '10000',
    ...twilioEnv(tw),
    SINCH_SMS_SERVICE_PLAN_ID: sinch.servicePlanId,
    SINCH_SMS_API_TOKEN: sinch.apiToken,
    SINCH_SMS_BASE_URL: sinch.url,
    SINCH_SMS_WEBHOOK_SECRET: `sinch-${randomBytes(8).toString('hex')}`,
    DATABASE_POOL_SIZE: '10',
    ...extraEnv,
  };
  const cluster = await startCluster(env, shape);
  const close = async (opts: { keepLogs?: boolean } = {}) => {
    if (opts.keepLogs) process.stdout.write(`\n${cluster.tails()}\n----- postgres -----\n${pg.logTail()}\n`);
    await cluster.stop({ keepLogs: opts.keepLogs });
    await database.close().catch(() => undefined);
    await Promise.all([llm.close(), tw.close(), sinch.close(), receiver.close()]);
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const [first] = cluster.workers;
    await cluster.start(first!);
    await Promise.all(cluster.procs.filter((p) => p !== first).map((p) => cluster.start(p)));
  } catch (err) {
    await close({ keepLogs: true });
    throw err;
  }
  return { pg, database, llm, tw, sinch, receiver, cluster, env, close };
}

export interface Tenant {
  accountId: string;
  key: string;
}

/** POSTs JSON with the admin key to an API process; throws on anything but 200. */
export async function adminPost<T = any>(apiUrl: string, key: string | null, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'api-key': key } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function signup(apiUrl: string): Promise<Tenant> {
  const r = await adminPost(apiUrl, null, '/create_account', { email: `faults-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery' });
  return { accountId: r.account_id, key: r.api_key };
}

/** An SMS number of the bot's, on the platform's Twilio account (which the fake says it owns). */
export async function addTwilioNumber(w: FaultWorld, t: Tenant, botId: string, area = '628'): Promise<string> {
  const phone = randomUsNumber(area);
  w.tw.addOwned(w.tw.account.sid, phone);
  await w.database.db
    .insertInto('phone_numbers')
    .values({ id: newId('num'), account_id: t.accountId, phone_number: phone, provider: 'twilio', source: 'purchased', bot_id: botId, sms: true, voice: true })
    .execute();
  return phone;
}

/** `n` end users with distinct phone numbers, inserted in bulk (the users API is tested elsewhere). */
export async function addPhoneUsers(w: FaultWorld, t: Tenant, botId: string, n: number): Promise<string[]> {
  const exchange = 200 + Math.floor(Math.random() * 700);
  const phones = Array.from({ length: n }, (_, i) => `+1415${exchange + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, '0')}`);
  const rows = phones.map((phone, i) => ({
    id: newId('usr'),
    account_id: t.accountId,
    bot_id: botId,
    user_id: `c${i}`,
    phone,
    name: `Fan ${i}`,
    tags: [],
    attributes: JSON.stringify({}),
    opted_out: false,
    age_verified: false,
    updated_at: new Date(),
  }));
  for (let i = 0; i < rows.length; i += 1000) await w.database.db.insertInto('end_users').values(rows.slice(i, i + 1000)).execute();
  return phones;
}
