import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe } from '../../core/http/schema.js';
import * as S from './schemas.js';
import { editNotificationSettings, getNotificationSettings, sendTestNotification } from './settings-service.js';

const tag = 'Notifications';

/** The account's email notifications: settings and a test email. */
export function notificationRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_notification_settings', {
      config: { auth: 'admin' },
      schema: describe({
        tag,
        auth: 'admin',
        summary: 'Where notification emails go, about which events, and the daily digest',
        ok: S.NotificationSettings,
        description: 'Until they are changed: the account\'s email, every event but new_user, and the digest on. Emails carry ids, counts and what to do, never message text.',
      }),
    }, (req) => getNotificationSettings({ ctx: ctxOf(req) }));

    app.post('/edit_notification_settings', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Change the notification settings (partial: what is given replaces the current value)', ok: S.NotificationSettings }),
        body: S.EditNotificationSettingsInput,
      },
    }, (req) => editNotificationSettings({ ctx: ctxOf(req), input: req.body }));

    app.post('/send_test_notification', {
      config: { auth: 'admin' },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Send a test email to the notification addresses now',
          ok: S.TestNotificationResult,
          extraErrors: [422, 502, 504],
          description: 'A 502 naming SMTP when the server refuses it (with the server\'s reply), a 504 when it does not answer. Without SMTP_URL on the server the email is logged, not sent (`delivery: logged`).',
        }),
        body: S.SendTestNotificationInput,
      },
    }, (req) => sendTestNotification({ ctx: ctxOf(req) }));
  };
}
