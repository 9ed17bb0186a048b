import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { unprocessable } from '../../core/errors.js';
import { emailFor } from '../../providers/email/index.js';
import type { EditNotificationSettingsInput } from './schemas.js';
import { settingsOf, type EffectiveSettings } from './settings.js';

async function load(ctx: ServiceContext): Promise<EffectiveSettings> {
  return (await settingsOf(ctx.db, [ctx.accountId])).get(ctx.accountId)!;
}

const view = (ctx: ServiceContext, s: EffectiveSettings) => ({
  emails: s.emails,
  events: s.events,
  digest: s.digest,
  delivery: emailFor(ctx).delivery === 'smtp' ? ('smtp' as const) : ('logged' as const),
  updated_at: s.updatedAt?.toISOString() ?? null,
});

export async function getNotificationSettings({ ctx }: { ctx: ServiceContext }) {
  return view(ctx, await load(ctx));
}

/** Partial: what is given replaces the current value (the defaults while none was set). */
export async function editNotificationSettings({ ctx, input }: { ctx: ServiceContext; input: EditNotificationSettingsInput }) {
  const saved = await ctx.db.transaction().execute(async (trx) => {
    // Locks the account's row, so two edits at once each see the other's fields.
    await trx.selectFrom('accounts').select('id').where('id', '=', ctx.accountId).forUpdate().executeTakeFirstOrThrow();
    const current = (await settingsOf(trx, [ctx.accountId])).get(ctx.accountId)!;
    const emails = input.emails ? [...new Map(input.emails.map((e) => [e.trim().toLowerCase(), e.trim()])).values()] : current.emails;
    const events = input.events ? [...new Set(input.events)] : current.events;
    const digest = input.digest ?? current.digest;
    const now = new Date();
    await trx
      .insertInto('notification_settings')
      .values({ account_id: ctx.accountId, emails, events, digest, updated_at: now })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ emails, events, digest, updated_at: now }))
      .execute();
    await writeAudit(trx, ctx, { action: 'notification_settings.edited', objectType: 'account', objectId: ctx.accountId, details: { fields: Object.keys(input) } });
    return { emails, events, digest, updatedAt: now };
  });
  return view(ctx, saved);
}

/** An email to the configured addresses, now: a 502 naming SMTP when the server refuses it. */
export async function sendTestNotification({ ctx }: { ctx: ServiceContext }) {
  const { emails } = await load(ctx);
  if (!emails.length) throw unprocessable('no_notification_email', 'The account has no email address to notify: set one with edit_notification_settings.', 'emails');
  const email = emailFor(ctx);
  const sent = await email.send({
    to: emails,
    subject: '[sinth] Test notification',
    text: `This is a test email from sinth, sent at ${new Date().toISOString()} because send_test_notification was called.\n\nNotifications of your account go to: ${emails.join(', ')}.\nChange them with edit_notification_settings.\n`,
  });
  const smtp = email.delivery === 'smtp';
  return {
    sent: smtp,
    delivery: smtp ? ('smtp' as const) : ('logged' as const),
    to: emails,
    message_id: sent.messageId,
    message: smtp ? 'The SMTP server accepted the test email.' : 'SMTP_URL is not set on this server: the email was logged, not sent.',
  };
}
