import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { containsMatcher, DEFAULT_AVAILABLE, fakeAccountSid, friendly, hex, rfc2822, sidOf, TYPE_PATH } from './fake-twilio-data.js';

export { fakeAccountSid, randomUsNumber } from './fake-twilio-data.js';

/**
 * A real HTTP server speaking the parts of Twilio's REST API (2010-04-01) that sinth uses: number
 * search, owned numbers (list, fetch, buy, update, release), Messages.json and Calls (place, fetch,
 * hang up or redirect). It checks HTTP Basic
 * auth per account like Twilio does, reads form-encoded PascalCase bodies, and answers Twilio's JSON
 * shapes and error bodies ({code, message, more_info, status}), so the official SDK runs unchanged
 * against it (through the origin-rewriting httpClient, see src/providers/twilio-client.ts).
 */

export type FakeNumberType = 'local' | 'toll_free' | 'mobile';

export interface FakeAvailableNumber {
  phoneNumber: string;
  /** ISO country, e.g. US. */
  country: string;
  type: FakeNumberType;
  sms?: boolean;
  voice?: boolean;
  mms?: boolean;
  locality?: string;
  region?: string;
}

/** An IncomingPhoneNumber as Twilio stores it (the JSON the fake answers). */
export interface FakeIncomingNumber {
  sid: string;
  account_sid: string;
  phone_number: string;
  friendly_name: string;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
  sms_url: string;
  sms_method: string;
  voice_url: string;
  voice_method: string;
  status_callback: string;
  status_callback_method: string;
  date_created: string;
  date_updated: string;
  uri: string;
  [key: string]: unknown;
}

/** Every request the fake received, authenticated or not. */
export interface FakeTwilioRequest {
  method: string;
  /** Path without the query, e.g. /2010-04-01/Accounts/AC…/Messages.json. */
  path: string;
  /** The account in the path. */
  accountSid: string | null;
  /** The Basic-auth user name sent (never the password). */
  username: string | null;
  /** True when the Basic credentials matched a known account. */
  authenticated: boolean;
  /** Query parameters (GET, DELETE) or form fields (POST); the last value of a repeated field. */
  params: Record<string, string>;
  /** Repeated fields in full (MediaUrl can repeat). */
  multi: Record<string, string[]>;
}

/** One Messages.json create the fake accepted. */
export interface FakeTwilioMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  status: string;
  params: Record<string, string>;
  /** When the fake accepted it (date_created; date_sent stays null, as for a message Twilio still queues). */
  createdAt: Date;
}

/** One Calls.json create the fake accepted. */
export interface FakeTwilioCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  /** Form fields; the last value of a repeated one. */
  params: Record<string, string>;
  /** Repeated fields in full (StatusCallbackEvent repeats). */
  multi: Record<string, string[]>;
}

/** One POST Calls/{CA…}.json the fake accepted (Status=completed|canceled, or Url/Twiml to redirect). */
export interface FakeTwilioCallUpdate {
  sid: string;
  params: Record<string, string>;
}

export interface FakeTwilioError {
  /** Twilio's error code, e.g. 21610 (recipient unsubscribed), 21211 (invalid To). */
  code: number;
  /** HTTP status; default 400. */
  status?: number;
  message?: string;
}

export interface FakeTwilio {
  /** Origin to set as TWILIO_API_BASE_URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** The platform account every test can use (sid AC… + token). */
  account: { sid: string; token: string };
  requests: FakeTwilioRequest[];
  /** Messages accepted, in order. */
  sent: FakeTwilioMessage[];
  /** Numbers released (DELETE), as they were. */
  released: FakeIncomingNumber[];
  /** Calls placed (Calls.json), in order. */
  calls: FakeTwilioCall[];
  /** Call updates accepted, in order. */
  callUpdates: FakeTwilioCallUpdate[];
  /** Another Twilio account (an imported number lives there); returns its credentials. */
  addAccount(sid?: string, token?: string): { sid: string; token: string };
  /** Numbers the search endpoints offer (and that can be bought). */
  addAvailable(...numbers: FakeAvailableNumber[]): void;
  /** A number an account already owns (the platform's pool, or a customer's own). */
  addOwned(accountSid: string, phoneNumber: string, fields?: Partial<FakeIncomingNumber>): FakeIncomingNumber;
  /** Numbers an account owns now. */
  numbersOf(accountSid: string): FakeIncomingNumber[];
  /**
   * A call the fake did not place (an inbound call the simulator made up), in progress on an account
   * (default: the platform's), so Calls/{sid}.json can fetch and update it.
   */
  knowCall(sid: string, accountSid?: string): void;
  /** The next Messages.json creates fail with these Twilio errors, one each, in order. */
  failNextSend(...errors: FakeTwilioError[]): void;
  /** The next requests of any kind fail with these errors, one each, in order (before auth is checked). */
  failNext(...errors: FakeTwilioError[]): void;
  /** Status a created message has (default "queued"). */
  setSendStatus(status: string): void;
  /**
   * When false, Messages.json and Calls.json accept any From; by default From must be a number the
   * account owns (Twilio's 21606 for messages, 21210 for calls), which catches a send or call made
   * with the wrong account's credentials.
   */
  requireOwnedFrom(on: boolean): void;
  /** Forget requests, messages, calls and queued failures; accounts and numbers stay. */
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

function parseForm(text: string) {
  const params: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    params[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { params, multi };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (status === 204) return void res.writeHead(204).end();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function twilioError(res: ServerResponse, e: FakeTwilioError): void {
  const status = e.status ?? 400;
  sendJson(res, status, { code: e.code, message: e.message ?? `Fake Twilio error ${e.code}`, more_info: `https://www.twilio.com/docs/errors/${e.code}`, status });
}

function basicUser(header: string | undefined): { user: string; pass: string } | null {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? null : { user: text.slice(0, i), pass: text.slice(i + 1) };
}

/** A Call resource as Twilio answers it (snake_case), kept current as the call is updated. */
type CallResource = ReturnType<typeof callResource>;

/** Calls may also go to a Client identity or a SIP URI. */
/** When Twilio sent the message on: none while it is still queued there. */
const sentAt = (m: FakeTwilioMessage): number | null => (['queued', 'accepted', 'scheduled'].includes(m.status) ? null : m.createdAt.getTime());

/** A message resource as Twilio's API shows it (the create's answer, a list's item). */
function messageJson(m: FakeTwilioMessage) {
  const created = rfc2822(m.createdAt);
  const sent = sentAt(m);
  return {
    sid: m.sid, account_sid: m.accountSid, to: m.to, from: m.from, body: m.body, status: m.status,
    num_segments: '1', num_media: '0', direction: 'outbound-api', api_version: '2010-04-01', price: null, price_unit: 'USD',
    error_code: null, error_message: null, messaging_service_sid: m.params.MessagingServiceSid ?? null,
    date_created: created, date_updated: created, date_sent: sent === null ? null : rfc2822(new Date(sent)),
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`, subresource_uris: {},
  };
}

const VALID_CALL_TO = /^(\+[1-9]\d{6,14}|client:\S+|sip:\S+)$/;
const ENDED = new Set(['completed', 'canceled', 'failed', 'busy', 'no-answer']);

function callResource(sid: string, accountSid: string, c: { to: string; from: string; status: string; direction: string }) {
  const now = rfc2822();
  const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;
  return {
    sid,
    account_sid: accountSid,
    parent_call_sid: null,
    to: c.to,
    to_formatted: friendly(c.to),
    from: c.from,
    from_formatted: friendly(c.from),
    phone_number_sid: null,
    status: c.status,
    direction: c.direction,
    start_time: null,
    end_time: null as string | null,
    duration: null,
    price: null,
    price_unit: 'USD',
    answered_by: null,
    caller_name: null,
    forwarded_from: null,
    group_sid: null,
    queue_time: '0',
    trunk_sid: null,
    api_version: '2010-04-01',
    date_created: now,
    date_updated: now,
    uri,
    subresource_uris: {
      notifications: uri.replace('.json', '/Notifications.json'),
      recordings: uri.replace('.json', '/Recordings.json'),
      events: uri.replace('.json', '/Events.json'),
    },
  };
}

/** The server settings that point it at this fake as the platform's Twilio account. */
export const twilioEnv = (tw: FakeTwilio) => ({ TWILIO_ACCOUNT_SID: tw.account.sid, TWILIO_AUTH_TOKEN: tw.account.token, TWILIO_API_BASE_URL: tw.url });

export async function startFakeTwilio(opts: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> {
  const account = { sid: opts.accountSid ?? fakeAccountSid(), token: opts.authToken ?? `tok_${hex(12)}` };
  const tokens = new Map<string, string>([[account.sid, account.token]]);
  const owned = new Map<string, FakeIncomingNumber[]>();
  let available: FakeAvailableNumber[] = [...DEFAULT_AVAILABLE];
  const requests: FakeTwilioRequest[] = [];
  const sent: FakeTwilioMessage[] = [];
  const released: FakeIncomingNumber[] = [];
  const calls: FakeTwilioCall[] = [];
  const callUpdates: FakeTwilioCallUpdate[] = [];
  /** Every call the fake knows (placed or told about), as the JSON Calls/{sid}.json answers. */
  const callResources = new Map<string, CallResource>();
  const sendFailures: FakeTwilioError[] = [];
  const anyFailures: FakeTwilioError[] = [];
  let sendStatus = 'queued';
  let ownedFromOnly = true;

  const numbersOf = (sid: string) => {
    let list = owned.get(sid);
    if (!list) owned.set(sid, (list = []));
    return list;
  };

  /** Whether `from` may be used as the sender of a message or call made on this account. */
  const mayUseFrom = (accountSid: string, from: string) => !ownedFromOnly || numbersOf(accountSid).some((n) => n.phone_number === from);

  const addOwned = (accountSid: string, phoneNumber: string, fields: Partial<FakeIncomingNumber> = {}): FakeIncomingNumber => {
    const sid = sidOf('PN');
    const now = rfc2822();
    const row: FakeIncomingNumber = {
      sid,
      account_sid: accountSid,
      phone_number: phoneNumber,
      friendly_name: friendly(phoneNumber),
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      sms_url: '',
      sms_method: 'POST',
      voice_url: '',
      voice_method: 'POST',
      status_callback: '',
      status_callback_method: 'POST',
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${sid}.json`,
      api_version: '2010-04-01',
      origin: 'twilio',
      status: 'in-use',
      ...fields,
    };
    numbersOf(accountSid).push(row);
    return row;
  };

  /** Applies the PascalCase update fields Twilio takes on create and update. */
  const applyUpdate = (row: FakeIncomingNumber, p: Record<string, string>) => {
    const map: Record<string, keyof FakeIncomingNumber> = {
      SmsUrl: 'sms_url', SmsMethod: 'sms_method', VoiceUrl: 'voice_url', VoiceMethod: 'voice_method',
      StatusCallback: 'status_callback', StatusCallbackMethod: 'status_callback_method', FriendlyName: 'friendly_name',
    };
    for (const [field, column] of Object.entries(map)) if (p[field] !== undefined) (row as Record<string, unknown>)[column] = p[field];
    row.date_updated = rfc2822();
  };

  const availableJson = (n: FakeAvailableNumber) => ({
    friendly_name: friendly(n.phoneNumber),
    phone_number: n.phoneNumber,
    lata: null,
    locality: n.locality ?? null,
    rate_center: null,
    latitude: null,
    longitude: null,
    region: n.region ?? null,
    postal_code: null,
    iso_country: n.country,
    address_requirements: 'none',
    beta: false,
    // Twilio spells these keys this way on AvailablePhoneNumbers.
    capabilities: { voice: n.voice ?? true, SMS: n.sms ?? true, MMS: n.mms ?? true },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    const { params, multi } = req.method === 'POST' ? parseForm(text) : parseForm(url.search.slice(1));
    const pathAccount = /^\/2010-04-01\/Accounts\/([^/]+)\//.exec(url.pathname)?.[1] ?? null;
    const creds = basicUser(req.headers.authorization);
    const authenticated = Boolean(creds && tokens.get(creds.user) === creds.pass);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, accountSid: pathAccount, username: creds?.user ?? null, authenticated, params, multi });

    const failure = anyFailures.shift();
    if (failure) return twilioError(res, failure);
    if (!authenticated) return twilioError(res, { code: 20003, status: 401, message: 'Authenticate' });
    if (!pathAccount || pathAccount !== creds!.user) return twilioError(res, { code: 20404, status: 404, message: 'The requested resource was not found' });
    const rest = url.pathname.slice(`/2010-04-01/Accounts/${pathAccount}`.length);
    const mine = numbersOf(pathAccount);

    let m = /^\/AvailablePhoneNumbers\/([A-Z]{2})\/(Local|TollFree|Mobile)\.json$/.exec(rest);
    if (m && req.method === 'GET') {
      const [, country, typePath] = m;
      const type = TYPE_PATH[typePath!]!;
      let list = available.filter((n) => n.country === country && n.type === type);
      if (params.AreaCode) list = list.filter((n) => n.phoneNumber.startsWith(`+1${params.AreaCode}`));
      if (params.Contains) {
        const re = containsMatcher(params.Contains);
        list = list.filter((n) => re.test(n.phoneNumber.slice(1)));
      }
      if (params.SmsEnabled === 'true') list = list.filter((n) => n.sms ?? true);
      if (params.VoiceEnabled === 'true') list = list.filter((n) => n.voice ?? true);
      const size = Number(params.PageSize ?? 50);
      return sendJson(res, 200, { available_phone_numbers: list.slice(0, size).map(availableJson), uri: url.pathname });
    }

    if (rest === '/IncomingPhoneNumbers.json' && req.method === 'GET') {
      const all = params.PhoneNumber ? mine.filter((n) => n.phone_number === params.PhoneNumber) : mine;
      const size = Number(params.PageSize ?? 50);
      const page = Number(params.Page ?? 0);
      const slice = all.slice(page * size, (page + 1) * size);
      const hasNext = (page + 1) * size < all.length;
      const base = `/2010-04-01/Accounts/${pathAccount}/IncomingPhoneNumbers.json`;
      return sendJson(res, 200, {
        incoming_phone_numbers: slice,
        page,
        page_size: size,
        start: page * size,
        end: page * size + slice.length - 1,
        first_page_uri: `${base}?PageSize=${size}&Page=0`,
        next_page_uri: hasNext ? `${base}?PageSize=${size}&Page=${page + 1}` : null,
        previous_page_uri: page > 0 ? `${base}?PageSize=${size}&Page=${page - 1}` : null,
        uri: `${base}?PageSize=${size}&Page=${page}`,
      });
    }

    if (rest === '/IncomingPhoneNumbers.json' && req.method === 'POST') {
      const wanted = params.PhoneNumber;
      const offer = available.find((n) => n.phoneNumber === wanted);
      if (!wanted || !offer) return twilioError(res, { code: 21422, message: `Phone Number Requested is not available: ${wanted ?? '(none)'}` });
      available = available.filter((n) => n !== offer);
      const row = addOwned(pathAccount, offer.phoneNumber, { capabilities: { voice: offer.voice ?? true, sms: offer.sms ?? true, mms: offer.mms ?? true, fax: false } });
      applyUpdate(row, params);
      return sendJson(res, 201, row);
    }

    m = /^\/IncomingPhoneNumbers\/(PN[0-9a-f]{32})\.json$/.exec(rest);
    if (m) {
      const row = mine.find((n) => n.sid === m![1]);
      if (!row) return twilioError(res, { code: 20404, status: 404, message: 'The requested resource was not found' });
      if (req.method === 'GET') return sendJson(res, 200, row);
      if (req.method === 'POST') {
        applyUpdate(row, params);
        return sendJson(res, 200, row);
      }
      if (req.method === 'DELETE') {
        mine.splice(mine.indexOf(row), 1);
        released.push(row);
        return sendJson(res, 204, null);
      }
    }

    if (rest === '/Messages.json' && req.method === 'POST') {
      if (!params.To) return twilioError(res, { code: 21604, message: "A 'To' phone number is required." });
      if (!/^\+[1-9]\d{6,14}$/.test(params.To)) return twilioError(res, { code: 21211, message: `The 'To' number ${params.To} is not a valid phone number.` });
      if (!params.From && !params.MessagingServiceSid) return twilioError(res, { code: 21603, message: "A 'From' phone number is required." });
      if (!params.Body && !params.MediaUrl) return twilioError(res, { code: 21602, message: 'Message body is required.' });
      if (params.From && !mayUseFrom(pathAccount, params.From)) {
        return twilioError(res, { code: 21606, message: `The From phone number ${params.From} is not a valid, SMS-capable inbound phone number or short code for your account.` });
      }
      const failed = sendFailures.shift();
      if (failed) return twilioError(res, failed);
      const sid = sidOf('SM');
      const message: FakeTwilioMessage = { sid, accountSid: pathAccount, to: params.To, from: params.From ?? '', body: params.Body ?? '', statusCallback: params.StatusCallback ?? null, status: sendStatus, params, createdAt: new Date() };
      sent.push(message);
      return sendJson(res, 201, messageJson(message));
    }

    if (rest === '/Messages.json' && req.method === 'GET') {
      // The account's messages, newest first, filtered as Twilio does: To, From, DateSent (a day or a
      // time; `DateSent>`/`DateSent<` inclusive); a message not sent yet has no date_sent.
      const after = params['DateSent>'] ? Date.parse(params['DateSent>']) : null;
      const before = params['DateSent<'] ? Date.parse(params['DateSent<']) : null;
      const all = sent
        .filter((s) => s.accountSid === pathAccount && (!params.To || s.to === params.To) && (!params.From || s.from === params.From))
        .filter((s) => (after === null && before === null) || (sentAt(s) !== null && (after === null || sentAt(s)! >= after) && (before === null || sentAt(s)! <= before)))
        .reverse();
      const size = Number(params.PageSize ?? 50);
      const page = Number(params.Page ?? 0);
      const slice = all.slice(page * size, (page + 1) * size);
      const query = new URLSearchParams({ ...params, PageSize: String(size) });
      const pageUri = (n: number) => `${url.pathname}?${new URLSearchParams({ ...Object.fromEntries(query), Page: String(n) }).toString()}`;
      return sendJson(res, 200, {
        messages: slice.map(messageJson),
        page,
        page_size: size,
        start: page * size,
        end: page * size + Math.max(slice.length - 1, 0),
        first_page_uri: pageUri(0),
        next_page_uri: (page + 1) * size < all.length ? pageUri(page + 1) : null,
        previous_page_uri: page > 0 ? pageUri(page - 1) : null,
        uri: pageUri(page),
      });
    }

    if (rest === '/Calls.json' && req.method === 'POST') {
      if (!params.To) return twilioError(res, { code: 21201, message: "No 'To' number is specified" });
      if (!VALID_CALL_TO.test(params.To)) return twilioError(res, { code: 21211, message: `Invalid 'To' Phone Number: ${params.To}` });
      if (!params.From) return twilioError(res, { code: 21213, message: "No 'From' number is specified" });
      const handlers = ['Url', 'Twiml', 'ApplicationSid'].filter((k) => params[k] !== undefined);
      if (handlers.length !== 1) return twilioError(res, { code: 21205, message: 'Exactly one of Url, Twiml or ApplicationSid is required' });
      if (params.Url !== undefined && !/^https?:\/\//.test(params.Url)) return twilioError(res, { code: 21205, message: `Url is not a valid URL: ${params.Url}` });
      if (!mayUseFrom(pathAccount, params.From)) {
        return twilioError(res, { code: 21210, message: `The source phone number provided, ${params.From}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.` });
      }
      const sid = `CA${hex(16)}`;
      const call = callResource(sid, pathAccount, { to: params.To, from: params.From, status: 'queued', direction: 'outbound-api' });
      callResources.set(sid, call);
      calls.push({ sid, accountSid: pathAccount, to: params.To, from: params.From, params, multi });
      return sendJson(res, 201, call);
    }

    m = /^\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(rest);
    if (m && (req.method === 'GET' || req.method === 'POST')) {
      const call = callResources.get(m[1]!);
      if (!call || call.account_sid !== pathAccount) return twilioError(res, { code: 20404, status: 404, message: 'The requested resource was not found' });
      if (req.method === 'GET') return sendJson(res, 200, call);
      if (params.Status !== undefined && params.Status !== 'completed' && params.Status !== 'canceled') {
        return twilioError(res, { code: 20001, message: `Status must be one of completed, canceled: ${params.Status}` });
      }
      if (params.Url !== undefined && params.Twiml !== undefined) return twilioError(res, { code: 21205, message: 'Only one of Url or Twiml may be given' });
      if ((params.Url !== undefined || params.Twiml !== undefined) && ENDED.has(call.status)) {
        return twilioError(res, { code: 21220, message: 'Call is not in-progress. Cannot redirect.' });
      }
      callUpdates.push({ sid: call.sid, params });
      if (params.Status && !ENDED.has(call.status)) {
        call.status = params.Status;
        call.end_time = rfc2822();
      }
      call.date_updated = rfc2822();
      return sendJson(res, 200, call);
    }

    return twilioError(res, { code: 20404, status: 404, message: 'The requested resource was not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 20500, message: String(err), status: 500 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    account,
    requests,
    sent,
    released,
    calls,
    callUpdates,
    addAccount: (sid = fakeAccountSid(), token = `tok_${hex(12)}`) => {
      tokens.set(sid, token);
      return { sid, token };
    },
    addAvailable: (...numbers) => void available.push(...numbers),
    addOwned,
    numbersOf: (sid) => [...numbersOf(sid)],
    knowCall: (sid, accountSid = account.sid) =>
      void callResources.set(sid, callResource(sid, accountSid, { to: '', from: '', status: 'in-progress', direction: 'inbound' })),
    failNextSend: (...errors) => void sendFailures.push(...errors),
    failNext: (...errors) => void anyFailures.push(...errors),
    setSendStatus: (status) => void (sendStatus = status),
    requireOwnedFrom: (on) => void (ownedFromOnly = on),
    reset: () => {
      requests.length = 0;
      sent.length = 0;
      released.length = 0;
      calls.length = 0;
      callUpdates.length = 0;
      callResources.clear();
      sendFailures.length = 0;
      anyFailures.length = 0;
      sendStatus = 'queued';
      ownedFromOnly = true;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

