/**
 * The SMS provider of the campaign benchmark, in its own process so its work does not share the
 * server's event loop: the tests' fake Twilio (a real HTTP server speaking Twilio's Messages API).
 * `fork` this file; it sends `{ url, sid, token }` when listening and answers messages:
 * `{ own: phone }` (the account owns that number, so sends from it are accepted) → 'owned';
 * 'stats' → `{ sent, distinct }` for the texts accepted since the last 'stats' (then forgets them);
 * 'stop' → exits.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeTwilio } from '../test/support/fake-twilio.js';

async function serve(): Promise<void> {
  const fake = await startFakeTwilio();
  process.send!({ url: fake.url, sid: fake.account.sid, token: fake.account.token });
  process.on('message', (m: unknown) => {
    if (m === 'stop') void fake.close().then(() => process.exit(0));
    else if (m === 'stats') {
      const sent = fake.sent.length;
      const distinct = new Set(fake.sent.map((t) => `${t.from}>${t.to}`)).size;
      fake.reset();
      process.send!({ sent, distinct });
    } else if (m && typeof m === 'object' && 'own' in m) {
      fake.addOwned(fake.account.sid, String((m as { own: string }).own));
      process.send!('owned');
    }
  });
}

if (process.send && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await serve();
