import type { OutgoingEmail } from '../../providers/email/port.js';
import { NEW_USER_WINDOW_MINUTES, TAKEOVER_WINDOW_MINUTES } from './drafts.js';
import type { NotificationKind } from './schemas.js';

export interface RenderInput {
  kind: NotificationKind | string;
  data: Record<string, unknown>;
  count: number;
  windowStartedAt: Date;
  /** Names of the bots the data names, by id. */
  botNames: Map<string, string>;
}

type Rendered = Omit<OutgoingEmail, 'to'>;

const FOOTER = 'You get this email because of the notification settings of your sinth account (get_notification_settings, edit_notification_settings).';
const time = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** The bot as the text names it ("Luna (bot_…)"), and as a subject names it (", Luna"). */
function botLabels(input: RenderInput): { text: string; subject: string } {
  const id = str(input.data.bot_id);
  if (!id) return { text: '(unknown)', subject: '' };
  const name = input.botNames.get(id);
  return { text: name ? `${name} (${id})` : id, subject: `, ${name ?? id}` };
}

/** The event's data as "key: value" lines: ids, counts and system texts only (see drafts.ts). */
function details(data: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) lines.push(`  ${k}.${k2}: ${str(v2)}`);
    else lines.push(`  ${k}: ${str(v)}`);
  }
  return lines.length ? `Details:\n${lines.join('\n')}` : '';
}

const compose = (subject: string, paragraphs: string[]): Rendered => ({ subject: `[sinth] ${subject}`, text: [...paragraphs.filter(Boolean), FOOTER].join('\n\n') + '\n' });

/** Subject and text of a notification: ids, counts and what to do, never what anyone wrote. */
export function renderNotification(input: RenderInput): Rendered {
  const { data, count } = input;
  const { text: bot, subject: forBot } = botLabels(input);
  switch (input.kind) {
    case 'takeover_requested':
      if (data.call_id) {
        return compose(`A caller asked for a person${forBot}`, [
          `Call ${str(data.call_id)} to bot ${bot} was transferred to the bot's transfer number: the caller asked to talk to a person.`,
          `What to do: make sure someone answers that number; get_call with call_id ${str(data.call_id)} shows the transcript so far.`,
        ]);
      }
      return compose(`A fan is waiting for a person${forBot}`, [
        `${count === 1 ? 'A message' : `${count} messages`} arrived in conversation ${str(data.conversation_id)} of bot ${bot} since ${time(input.windowStartedAt)} while a person has the conversation or the bot's replies are off, so the bot did not answer.`,
        `What to do: read it with get_conversations and answer with add_message_to_conversation (conversation_id ${str(data.conversation_id)}), or hand the conversation back to the bot with toggle_bot_response (enabled: true).`,
        `More messages in this conversation within ${TAKEOVER_WINDOW_MINUTES} minutes are not emailed again.`,
      ]);
    case 'new_user':
      return compose(`${count} new ${count === 1 ? 'user' : 'users'}`, [
        `${count} new ${count === 1 ? 'user' : 'users'} started talking to your bots between ${time(input.windowStartedAt)} and ${time(new Date(input.windowStartedAt.getTime() + NEW_USER_WINDOW_MINUTES * 60_000))}.`,
        'What to do: nothing needed; get_users lists them. Turn these emails off with edit_notification_settings if they are too many.',
      ]);
    case 'source_failed':
      return compose(`A knowledge source failed${forBot}`, [
        `Knowledge source ${str(data.source_id)} (${str(data.kind) || 'source'}) of bot ${bot} could not be processed${data.error ? `: ${str(data.error)}` : '.'}`,
        'What to do: fix the file or the site and add it again, or refresh it with refresh_source. Until then the bot answers without it. (A source that keeps failing is reported once a day.)',
      ]);
    case 'campaign_finished':
      return compose(`Campaign ${str(data.campaign_id)} ${str(data.status) || 'finished'}`, [
        `Bulk campaign ${str(data.campaign_id)} of bot ${bot} is ${str(data.status) || 'finished'}.`,
        details(typeof data.counts === 'object' && data.counts ? { counts: data.counts } : {}),
        `What to do: get_bulk_campaign with campaign_id ${str(data.campaign_id)} shows every recipient's outcome.`,
      ]);
    case 'webhook_disabled':
      return compose(`Webhook ${str(data.webhook_id)} was disabled`, [
        `Webhook endpoint ${str(data.webhook_id)} failed every delivery for too long and was switched off: no more events are sent to it.`,
        details(data),
        'What to do: get_webhook_deliveries shows why its deliveries failed; fix the endpoint, then add it again with add_webhook (and delete_webhook the disabled one). Events from while it was off are not sent to the new one.',
      ]);
    case 'payment_failed':
      return compose('A payment failed', [
        'A payment for your sinth subscription failed.',
        details(data),
        'What to do: update the payment method (create_billing_portal_session) before the next attempt; get_subscription shows the subscription\'s state.',
      ]);
    case 'usage_threshold': {
      const limit = str(data.limit) || 'a';
      return compose(`Usage reached ${str(data.threshold)} % of the plan's ${limit} limit`, [
        `Your account has used ${str(data.used)} of the ${str(data.limit_value)} ${limit} its plan${data.plan_id ? ` (${str(data.plan_id)})` : ''} allows in this period (${str(data.threshold)} %).`,
        details(data),
        Number(data.threshold) >= 100
          ? 'What to do: upgrade the plan (create_checkout_session) to go on; until then what goes past this limit is refused. get_usage shows every limit.'
          : 'What to do: get_usage shows every limit; upgrade the plan before the limit is reached to avoid interruptions.',
      ]);
    }
    case 'digest':
      return renderDigest(data);
    default:
      return compose(`Notification: ${input.kind}`, [details(data)]);
  }
}

const DIGEST_LINES: Array<[string, string]> = [
  ['messages_in', 'Messages received'],
  ['messages_out', 'Messages sent'],
  ['new_users', 'New users'],
  ['conversations', 'New conversations'],
  ['takeovers', 'Requests for a person (takeovers)'],
  ['calls', 'Calls'],
  ['call_minutes', 'Call minutes'],
  ['opt_outs', 'Opt-outs'],
  ['failed_sources', 'Knowledge sources that failed'],
];

function renderDigest(data: Record<string, unknown>): Rendered {
  const lines = DIGEST_LINES.map(([k, label]) => `  ${label}: ${Number(data[k] ?? 0)}`);
  return compose(`Your day on ${str(data.day)}`, [
    `What happened on ${str(data.day)} (UTC) across your bots:\n${lines.join('\n')}`,
    Number(data.failed_sources ?? 0) > 0 ? 'Failed knowledge sources: see get_filenames, get_pagenames and get_feeds, then refresh_source.' : '',
    `get_analytics gives the details (from ${str(data.day)}T00:00:00Z, interval hour); the digest can be turned off with edit_notification_settings (digest: false).`,
  ]);
}
