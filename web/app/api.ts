/** The dashboard's only way to the server: the public API, with the session from /login as Bearer. */

const SESSION_KEY = 'sinth.session';

export interface Session {
  token: string;
  account_id: string;
  key_id: string;
  expires_at: string;
}

export function getSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return s && Date.parse(s.expires_at) > Date.now() ? s : null;
  } catch {
    return null;
  }
}

export function setSession(s: Session | null): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

/** An error as the API words it: {error: {type, code, message, param?, request_id}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

export function queryString(query: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

let onUnauthorized: () => void = () => {};
/** Called when the session is refused (expired or revoked): the app goes back to the login page. */
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  const e = body?.error;
  return new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `The server answered ${res.status}.`, e?.param, e?.request_id);
}

export function authHeaders(): Record<string, string> {
  const s = getSession();
  return s ? { authorization: `Bearer ${s.token}` } : {};
}

/** GET with query parameters. */
export function get<T = any>(path: string, query?: Query): Promise<T> {
  return call<T>(`${path}${queryString(query)}`, { method: 'GET' });
}

/** POST a JSON body. `idempotencyKey` makes a retry safe for endpoints that create things. */
export function post<T = any>(path: string, body: unknown = {}, opts: { idempotencyKey?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  return call<T>(path, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string>) } });
  if (res.status === 401 && getSession()) {
    setSession(null);
    onUnauthorized();
  }
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

/** Multipart upload with progress (fetch has no upload progress; XMLHttpRequest does). */
export function upload<T = any>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload did not reach the server.'));
    xhr.onload = () => {
      let body: any = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(xhr.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `The server answered ${xhr.status}.`, body?.error?.param));
    };
    xhr.send(form);
  });
}

export const newIdempotencyKey = () => crypto.randomUUID();
