import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { previewBulkAudience } from './audience.js';
import { cancelBulkCampaign, getBulkCampaign, getBulkCampaigns, sendBulkMessages } from './campaigns-service.js';
import { BODY_LIMITS } from '../../core/http/body-limits.js';
import * as S from './schemas.js';

const tag = 'Conversations';

export function campaignRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/send_bulk_messages', {
      config: { auth: 'admin', idempotent: true },
      bodyLimit: BODY_LIMITS.large,
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Text a bot\'s end users (by ids, tags or all) a templated SMS: a campaign sent in the background',
          ok: S.SendBulkResult,
          extraErrors: [422],
          description:
            'The audience is fixed when the campaign is created. Each message is checked when its turn comes: opted-out, suppressed, blocked, unreachable (no phone) and, when the bot has an age gate, unverified users are skipped and counted by reason; with quiet_hours (default) nobody is texted outside 08:00-21:00 in the time zone(s) of their number (their message waits for the morning); messages go out at rate_per_second from the bot\'s first SMS number. Each end user gets at most one message per campaign. Follow it with get_bulk_campaign. 422 no_sms_number: the bot has no SMS number; 422 empty_audience: nobody matched.',
        }),
        body: S.SendBulkInput,
      },
    }, (req) => sendBulkMessages({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_bulk_campaign', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'A campaign\'s status and counts (sent, delivered, failed, skipped by reason, pending, deferred by quiet hours)', ok: S.Campaign }), querystring: S.CampaignRef },
    }, (req) => getBulkCampaign({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_bulk_campaigns', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'The account\'s campaigns, newest first, with their counts', ok: page(S.Campaign) }), querystring: S.GetBulkCampaignsQuery },
    }, (req) => getBulkCampaigns({ ctx: ctxOf(req), input: req.query }));

    app.post('/preview_bulk_audience', {
      config: { auth: 'admin' },
      bodyLimit: BODY_LIMITS.large,
      schema: { ...describe({ tag, auth: 'admin', summary: 'How many end users a campaign to this audience would text now, and how many it would skip by reason (nothing is sent)', ok: S.AudiencePreview }), body: S.PreviewAudienceInput },
    }, (req) => previewBulkAudience({ ctx: ctxOf(req), input: req.body }));

    app.post('/cancel_bulk_campaign', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Stop a campaign: what has not gone out is canceled, what was sent stays sent (idempotent)', ok: S.Campaign }), body: S.CampaignRef },
    }, (req) => cancelBulkCampaign({ ctx: ctxOf(req), input: req.body }));
  };
}
