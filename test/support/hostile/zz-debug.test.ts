import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { sender, type Send } from './answers.js';
import { startCallbackWorld, type CallbackWorld } from './callback-world.js';
import { callbackSpec } from './signed-callbacks.js';

let w: CallbackWorld;
let send: Send;
beforeAll(async () => {
  w = await startCallbackWorld();
  send = sender(w.h, { admin: w.known.adminKey, conversation: null, invalid: `sk_${'0'.repeat(40)}`, none: null });
}, 120_000);
afterAll(async () => w?.close());

it('debug', async () => {
  const paths = (process.env.PATHS ?? '').split(',');
  for (const path of paths) {
    const spec = callbackSpec(w.known, path)!;
    const samples = fc.sample(spec.cases, { seed: Number(process.env.HOSTILE_SEED ?? 90210), numRuns: Number(process.env.N ?? 64) });
    const tally = new Map<string, number>();
    for (const c of samples) {
      const res = await send(c);
      let code = '';
      try { code = JSON.parse(res.body).error?.code ?? ''; } catch { /* */ }
      const k = `${res.status} ${code}`;
      tally.set(k, (tally.get(k) ?? 0) + 1);
      if (res.status >= 500) console.log('5xx', path, JSON.stringify(c).slice(0, 1500));
    }
    console.log(path, [...tally]);
  }
}, 600_000);
