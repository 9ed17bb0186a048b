import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../../../config.js';
import { CallSimulator, httpTransport, type SimStep } from './call-simulator.js';

export const CALL_SIM_USAGE = `usage: sinth call-sim --bot <bot_id> [--provider sinch|twilio] [--url <server, default http://127.0.0.1:$PORT>]
                     [--public-url <default PUBLIC_URL, else --url>] [--from <E.164>] [--to <the bot's number>]
                     [--api-key <admin key, default SINTH_API_KEY; looks up --to>]
Then type what the caller says: an empty line is silence, /press 123 sends keys, /hangup (or end of input) hangs up.
`;

export type CallSimSettings = Pick<Config, 'PORT' | 'PUBLIC_URL' | 'SINCH_APPLICATION_KEY' | 'SINCH_APPLICATION_SECRET' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN'> & {
  SINTH_API_KEY?: string;
};

export interface CallSimArgs {
  bot: string;
  provider?: 'sinch' | 'twilio';
  url?: string;
  publicUrl?: string;
  from: string;
  to?: string;
  apiKey?: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export function parseCallSimArgs(args: string[]): CallSimArgs | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        bot: { type: 'string' },
        provider: { type: 'string' },
        url: { type: 'string' },
        'public-url': { type: 'string' },
        from: { type: 'string', default: '+15550100000' },
        to: { type: 'string' },
        'api-key': { type: 'string' },
      },
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { bot, provider, url, from, to } = values;
  if (!bot) return { error: '--bot is required' };
  if (provider !== undefined && provider !== 'sinch' && provider !== 'twilio') return { error: `--provider must be sinch or twilio (got "${provider}")` };
  for (const [flag, value] of [['--url', url], ['--public-url', values['public-url']]] as const) {
    if (value !== undefined && !/^https?:\/\/[^/]/.test(value)) return { error: `${flag} must be an http(s) URL (got "${value}")` };
  }
  for (const [flag, value] of [['--from', from], ['--to', to]] as const) {
    if (value !== undefined && !E164.test(value)) return { error: `${flag} must be an E.164 number such as +15550100000 (got "${value}")` };
  }
  return { bot, from: from!, ...defined({ provider: provider as CallSimArgs['provider'], url, publicUrl: values['public-url'], to, apiKey: values['api-key'] }) };
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

interface CallSimIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `sinth call-sim`: a person plays the caller of a simulated inbound call against a running server. */
export async function runCallSim(
  args: string[],
  io: CallSimIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  settings: CallSimSettings = { ...loadConfig(), SINTH_API_KEY: process.env.SINTH_API_KEY },
): Promise<number> {
  const fail = (message: string, code = 2) => {
    io.stderr.write(`call-sim: ${message}\n`);
    return code;
  };
  const parsed = parseCallSimArgs(args);
  if ('error' in parsed) return fail(`${parsed.error}\n\n${CALL_SIM_USAGE}`);

  const sinchReady = Boolean(settings.SINCH_APPLICATION_KEY && settings.SINCH_APPLICATION_SECRET);
  const provider = parsed.provider ?? (sinchReady ? 'sinch' : 'twilio');
  // The callbacks are signed with the server's own credentials, or it refuses them.
  if (provider === 'sinch' && !sinchReady) return fail('a Sinch call needs SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET, the values the server uses');
  if (provider === 'twilio' && !(settings.TWILIO_ACCOUNT_SID && settings.TWILIO_AUTH_TOKEN)) {
    const hint = parsed.provider ? '' : ' (or SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET for a Sinch call)';
    return fail(`a Twilio call needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, the values the server uses${hint}`);
  }
  const url = (parsed.url ?? `http://127.0.0.1:${settings.PORT}`).replace(/\/$/, '');
  // Twilio signs the URL it calls, so the server checks signatures against PUBLIC_URL, not its listen address.
  const publicUrl = parsed.publicUrl ?? settings.PUBLIC_URL ?? url;

  let to = parsed.to;
  if (!to) {
    const apiKey = parsed.apiKey ?? settings.SINTH_API_KEY;
    if (!apiKey) return fail('give --to <the bot\'s number>, or --api-key (or SINTH_API_KEY) to look the number up');
    let found;
    try {
      found = await botVoiceNumber(url, apiKey, parsed.bot, provider);
    } catch (err) {
      return fail(`cannot reach the server at ${url}: ${(err as Error).message}`, 1);
    }
    if ('error' in found) return fail(found.error);
    to = found.number;
  }

  const transport = httpTransport(url);
  const sim =
    provider === 'sinch'
      ? CallSimulator.sinch({ transport, publicUrl, appKey: settings.SINCH_APPLICATION_KEY!, appSecret: settings.SINCH_APPLICATION_SECRET!, from: parsed.from, to })
      : CallSimulator.twilio({ transport, publicUrl, accountSid: settings.TWILIO_ACCOUNT_SID!, authToken: settings.TWILIO_AUTH_TOKEN!, from: parsed.from, to });
  io.stdout.write(`calling ${to} from ${parsed.from} over ${provider} (call ${sim.callId})\n`);

  const show = (step: SimStep) => {
    for (const text of step.spoken) io.stdout.write(`bot: ${text}\n`);
    for (const problem of step.problems) io.stderr.write(`warning: ${problem}\n`);
    io.stdout.write(`${marker(step)} [${Math.round(step.elapsedMs)} ms]\n`);
  };
  const over = (step: SimStep) => step.state === 'ended' || step.state === 'voicemail';

  let step: SimStep;
  try {
    step = await sim.start();
  } catch (err) {
    return fail(`cannot reach the server at ${url}: ${(err as Error).message}`, 1);
  }
  show(step);
  if (step.status < 200 || step.status > 299) {
    await sim.hangup({ result: 'FAILED', reason: 'CALLBACKERROR' });
    return 1;
  }

  if (!over(step)) {
    const lines = createInterface({ input: io.stdin, terminal: false });
    try {
      for await (const line of lines) {
        const text = line.trim();
        if (text === '/hangup') break;
        const digits = /^\/press\s*(.*)$/.exec(text)?.[1];
        if (text.startsWith('/') && !(digits && /^[0-9*#]+$/.test(digits))) {
          io.stderr.write(`not understood: ${text} (type /press 123 or /hangup)\n`);
          continue;
        }
        try {
          step = await (digits ? sim.press(digits) : text ? sim.say(text) : sim.silence());
          show(step);
        } catch (err) {
          io.stderr.write(`${(err as Error).message}\n`);
        }
        if (over(step)) break;
      }
    } finally {
      lines.close();
    }
  }

  // The provider reports the end of every call, whichever side hung up; the bot hanging up makes it the callee's.
  if (over(step)) await sim.hangup({ reason: 'CALLEEHANGUP' });
  else {
    await sim.hangup();
    io.stdout.write('(call ended)\n');
  }
  return 0;
}

function marker(step: SimStep): string {
  switch (step.state) {
    case 'listening':
      return '(listening)';
    case 'transferred':
      return `(transferred to ${step.transferTo ?? 'another party'})`;
    case 'voicemail':
      return '(left a voicemail; call ended)';
    case 'continue':
      return '(the call goes on without the bot)';
    case 'ended':
      return '(call ended)';
  }
}

interface NumberPage {
  data: Array<{ phone_number: string; provider: string; capabilities: { voice: boolean } }>;
  next_cursor: string | null;
}

async function botVoiceNumber(url: string, apiKey: string, botId: string, provider: string): Promise<{ number: string } | { error: string }> {
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ bot_id: botId, limit: '200', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${url}/get_phone_numbers?${query}`, { headers: { 'api-key': apiKey } });
    if (!res.ok) return { error: `GET /get_phone_numbers answered ${res.status}: ${(await res.text()).slice(0, 300)}` };
    const page = (await res.json()) as NumberPage;
    const hit = page.data.find((n) => n.provider === provider && n.capabilities.voice);
    if (hit) return { number: hit.phone_number };
    cursor = page.next_cursor;
  } while (cursor);
  return { error: `bot ${botId} has no ${provider} number that takes calls: route one to it, or give --to` };
}
