import fc from 'fast-check';

export type KeyKind = 'admin' | 'conversation' | 'invalid' | 'none';

/** One request to send, and why it was built. */
export interface Case {
  why: string;
  key: KeyKind;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

export const keyArb = fc.constantFrom<KeyKind>('admin', 'admin', 'conversation', 'invalid', 'none');

export const show = (c: Case) => {
  const payload = c.payload === undefined ? '' : ` ${String(c.payload).slice(0, 300)}${String(c.payload).length > 300 ? `… (${String(c.payload).length} chars)` : ''}`;
  return `[${c.why}] ${c.key} key: ${c.method} ${c.url.slice(0, 300)} ${JSON.stringify(c.headers)}${payload}`;
};

export const json = (v: unknown) => JSON.stringify(v);
