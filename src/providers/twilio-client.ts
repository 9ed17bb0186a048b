import twilio from 'twilio';
import type { Config } from '../config.js';
import { decryptSecret, encryptSecret } from '../core/secrets.js';
import { ProviderApiError } from './provider-api-error.js';

/**
 * The official Twilio SDK, shared by the SMS, numbers (and voice) adapters. twilio 6 has no base-URL
 * option, so TWILIO_API_BASE_URL (a sandbox, or a test's fake) is applied by an httpClient that
 * rewrites the origin of every request, whichever Twilio domain the SDK picked.
 */

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/** The platform's own account, when both variables are set. */
export function platformTwilioCredentials(config: Config): TwilioCredentials | null {
  return config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN ? { accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN } : null;
}

/**
 * An imported number's auth token as stored in phone_numbers.twilio_auth_token_enc, bound to the
 * number's row id so a sealed token copied onto another number does not open there.
 */
export function sealTwilioToken(config: Config, numberId: string, authToken: string): string {
  return encryptSecret(authToken, config.SECRET_KEY, `phone_numbers:${numberId}`);
}

/** The imported account of a number row; throws SecretDecryptError when the stored token does not open. */
export function importedTwilioCredentials(config: Config, row: { id: string; twilio_account_sid: string | null; twilio_auth_token_enc: string | null }): TwilioCredentials | null {
  if (!row.twilio_account_sid || !row.twilio_auth_token_enc) return null;
  return { accountSid: row.twilio_account_sid, authToken: decryptSecret(row.twilio_auth_token_enc, config.SECRET_KEY, `phone_numbers:${row.id}`) };
}

/** A Twilio call that takes longer is reported as provider_timeout rather than holding a request or job. */
const TIMEOUT_MS = 15_000;

type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly origin: string | null) {
    super({ timeout: TIMEOUT_MS, keepAlive: true });
  }

  override request<TData>(opts: RequestOptions) {
    const uri = this.origin ? opts.uri.replace(/^https?:\/\/[^/]+/, this.origin) : opts.uri;
    return super.request<TData>({ ...opts, uri } as RequestOptions & { data?: TData });
  }
}

// One HTTP client (and so one keep-alive agent) per origin for the whole process; Twilio clients,
// which differ by credentials, are cheap and made per use.
const httpClients = new Map<string, RebasedRequestClient>();

function httpClientFor(baseUrl: string | undefined): RebasedRequestClient {
  const origin = baseUrl ? baseUrl.replace(/\/+$/, '') : null;
  const key = origin ?? '';
  let client = httpClients.get(key);
  if (!client) httpClients.set(key, (client = new RebasedRequestClient(origin)));
  return client;
}

export function twilioClient(config: Config, credentials: TwilioCredentials): twilio.Twilio {
  return twilio(credentials.accountSid, credentials.authToken, { httpClient: httpClientFor(config.TWILIO_API_BASE_URL), autoRetry: false });
}

/** Account sids in Twilio's messages (resource paths) are masked: errors end up in API answers and logs. */
const maskSids = (text: string) => text.replace(/AC[0-9a-fA-F]{32}/g, 'AC…');

/**
 * Any failure of a Twilio SDK call as a ProviderApiError: the API's error code and status, or a
 * network failure or timeout. Built from chosen fields only: the SDK's own errors can hold the
 * request, and so the credentials.
 */
function twilioFailure(err: unknown): ProviderApiError {
  if (err instanceof ProviderApiError) return err;
  const e = err as { status?: unknown; code?: unknown; message?: unknown; detail?: unknown; title?: unknown; response?: unknown };
  if (err instanceof twilio.RestException || (err instanceof Error && err.name === 'TwilioServiceException')) {
    const code = typeof e.code === 'number' ? e.code : null;
    const text = String(e.detail ?? e.message ?? e.title ?? 'error').slice(0, 300);
    const status = typeof e.status === 'number' ? e.status : null;
    return new ProviderApiError('twilio', `${maskSids(text)}${code ? ` (Twilio error ${code})` : ''}`, code, status);
  }
  const netCode = typeof e.code === 'string' ? e.code : '';
  if (netCode === 'ECONNABORTED' || netCode === 'ETIMEDOUT' || /timeout/i.test(String(e.message ?? ''))) {
    return new ProviderApiError('twilio', `no answer within ${TIMEOUT_MS / 1000} s`, null, null, true);
  }
  return new ProviderApiError('twilio', `the Twilio API could not be reached${netCode ? ` (${netCode})` : ''}`, null, null);
}

/** Runs one SDK call, turning its failures into ProviderApiError. */
export async function callTwilio<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw twilioFailure(err);
  }
}
