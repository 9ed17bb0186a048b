/**
 * Child process of the voice benchmark, one of two kinds (argv[2]):
 * - `sinth`: the server (role all) on the benchmark database, its model at BENCH_LLM_URL, Sinch Voice
 *   and Twilio credentials from the environment;
 * - `baseline`: a bare Fastify route that reads the raw callback and answers a fixed SVAML.
 * Each reports its address to the parent and stops on 'stop'.
 */
import Fastify from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';

const kind = process.argv[2];
const FIXED_SVAML = JSON.stringify({ instructions: [], action: { name: 'runMenu', barge: true, locale: 'en-US', enableVoice: true, menus: [{ id: 'main', mainPrompt: '#tts[Hello there. What would you like to talk about?]', timeoutMills: 5000 }] } });

const onStop = (stop: () => Promise<void>) =>
  process.on('message', async (msg) => {
    if (msg !== 'stop') return;
    await stop();
    process.exit(0);
  });

if (kind === 'sinth') {
  const config = loadConfig({
    DATABASE_URL: process.env.BENCH_DATABASE_URL!,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-voice-')),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMITS: 'off',
    LLM_BASE_URL: process.env.BENCH_LLM_URL!,
    LLM_API_KEY: 'bench-llm-key',
    LLM_MODEL: 'bench-model',
    PUBLIC_URL: process.env.PUBLIC_URL!,
    SINCH_APPLICATION_KEY: process.env.SINCH_APPLICATION_KEY!,
    SINCH_APPLICATION_SECRET: process.env.SINCH_APPLICATION_SECRET!,
    TWILIO_ACCOUNT_SID: process.env.TWILIO_ACCOUNT_SID!,
    TWILIO_AUTH_TOKEN: process.env.TWILIO_AUTH_TOKEN!,
  });
  const server = await startServer(config, { role: 'all', log: createLogger('warn') });
  process.send!({ url: server.url });
  onStop(() => server.close());
} else if (kind === 'baseline') {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/webhooks/sinch/voice', async (_req, reply) => reply.type('application/json').send(FIXED_SVAML));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.send!({ url });
  onStop(() => app.close());
} else {
  process.stderr.write('usage: voice-server.ts sinth|baseline\n');
  process.exit(2);
}
