import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { BotIdQuery } from '../bots/schemas.js';
import { endCall, getCall, getCalls, makeCall } from './calls-service.js';
import * as S from './schemas.js';
import { editVoiceSettings, getVoiceSettings } from './voice-settings-service.js';
import { voiceWebhookRoutes } from './webhook-routes.js';

const tag = 'Voice';

/** The Voice API (calls and voice settings) and the providers' voice callbacks. */
export function voiceRoutes(deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/make_call', {
      config: { auth: 'admin', idempotent: true },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Place an outbound AI call from the bot\'s number',
          ok: S.CallView,
          extraErrors: [422, 502, 504],
          description:
            'The bot\'s voice number is the caller id (a bot without one is a 400 `no_caller_id`). The call is placed with the bot\'s voice provider (Sinch custom callout or Twilio call); when answered, a person hears the opening message and talks with the bot, an answering machine (with `amd`) gets the voicemail message. Refused with 422 for opted-out (`user_opted_out`) or blocked (`user_blocked`) users. get_call shows its progress and transcript.',
        }),
        body: S.MakeCallInput,
      },
    }, (req) => makeCall({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_calls', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Calls, newest first', ok: page(S.CallView) }), querystring: S.GetCallsQuery },
    }, (req) => getCalls({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_call', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'One call with its transcript (who, text, time) and the server\'s latency per bot turn', ok: S.CallDetail }), querystring: S.CallIdInput },
    }, (req) => getCall({ ctx: ctxOf(req), input: req.query }));

    app.post('/end_call', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Hang up a live call', ok: S.CallView, extraErrors: [409, 422, 502, 504] }), body: S.CallIdInput },
    }, (req) => endCall({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_voice_settings', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'A bot\'s voice settings: provider, region, locale, voice, barge-in, silence timeout, longest call, recording, answering-machine detection, messages', ok: S.VoiceSettingsResult }), querystring: BotIdQuery },
    }, (req) => getVoiceSettings({ ctx: ctxOf(req), input: req.query }));

    app.post('/edit_voice_settings', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Change a bot\'s voice settings (partial; null resets a field)', ok: S.VoiceSettingsResult }), body: S.EditVoiceSettingsInput },
    }, (req) => editVoiceSettings({ ctx: ctxOf(req), input: req.body }));

    await app.register(voiceWebhookRoutes(deps));
  };
}
