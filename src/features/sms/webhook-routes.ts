import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { acceptRawBodies, rawBody, refuseCallback } from '../../core/http/raw-callbacks.js';
import { sinchCallback, twilioInbound, twilioStatus, type DeliveryReport } from './callbacks.js';
import { receiveInboundSms, type InboundSms } from './inbound-service.js';
import { routedNumber } from './numbers.js';
import { applyDeliveryReport } from './status-service.js';
import { checkTwilioCallback, verifySinch } from './webhook-auth.js';

/** Twilio waits for TwiML; an empty Response means "no reply now" (the reply goes out from a job). */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
/** Callbacks are small: Twilio's inbound fields (≤1,600 character body) or one Sinch event. */
const BODY_LIMIT = 64 * 1024;

/**
 * POST /webhooks/twilio/sms, /webhooks/twilio/sms-status and /webhooks/sinch/sms. Their own content
 * parser keeps the raw bytes, so the signature is checked on exactly what the provider sent before
 * anything is parsed for use; then the message is stored (deduplicated on the provider's id) and
 * handed to a job, and the provider gets its 2xx at once. No API key: the signature is the auth.
 */
export function smsWebhookRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    acceptRawBodies(app, BODY_LIMIT);

    /** Verifies a Twilio callback; `ours` is the field naming our number (To inbound, From on status reports). */
    const verifiedTwilioForm = async (req: FastifyRequest, ours: 'To' | 'From') => {
      const checked = await checkTwilioCallback(deps, { url: req.url, body: rawBody(req), signature: req.headers['x-twilio-signature'] }, (form) => form[ours]);
      if ('failure' in checked) throw refuseCallback(req, 'twilio', checked.failure);
      return checked.form;
    };

    const twiml = (reply: FastifyReply) => reply.code(200).type('text/xml; charset=utf-8').send(EMPTY_TWIML);

    const schema = (summary: string) => ({ schema: { tags: ['Provider callbacks'], summary } });

    app.post('/webhooks/twilio/sms', schema('Twilio inbound SMS/MMS (X-Twilio-Signature)'), async (req, reply) => {
      const form = await verifiedTwilioForm(req, 'To');
      const sms = twilioInbound(form);
      if (sms) await receive(deps, req, sms);
      return twiml(reply);
    });

    app.post('/webhooks/twilio/sms-status', schema('Twilio SMS delivery status (X-Twilio-Signature)'), async (req, reply) => {
      const form = await verifiedTwilioForm(req, 'From');
      const report = twilioStatus(form, (req.query as Record<string, unknown>).sms_id);
      if (report) await applyReport(deps, 'twilio', report);
      return twiml(reply);
    });

    app.post('/webhooks/sinch/sms', schema('Sinch inbound SMS and delivery reports (x-sinch-webhook-signature HMAC)'), async (req, reply) => {
      const secret = deps.config.SINCH_SMS_WEBHOOK_SECRET;
      if (!secret) throw refuseCallback(req, 'sinch', 'SINCH_SMS_WEBHOOK_SECRET is not set');
      const body = rawBody(req);
      if (!verifySinch(secret, req.headers, body, Date.now())) throw refuseCallback(req, 'sinch', 'signature mismatch or stale timestamp');
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        throw invalid('body', 'The callback body is not JSON.', 'invalid_json');
      }
      const event = sinchCallback(payload);
      if (event.kind === 'inbound') await receive(deps, req, event.sms);
      else if (event.kind === 'report') await applyReport(deps, 'sinch', event.report);
      else req.log.info({ provider: 'sinch', type: event.type }, 'sinch sms callback ignored');
      return reply.code(200).send();
    });
  };
}

/** Stores a verified inbound message for the bot its number routes to; a number routed nowhere drops it (logged without the text). */
async function receive(deps: AppDeps, req: FastifyRequest, sms: InboundSms): Promise<void> {
  const number = await routedNumber(deps.db, sms.provider, sms.to);
  if (!number || !number.account_id || !number.bot_id) {
    req.log.info({ provider: sms.provider, to: sms.to }, 'sms to a number that routes to no bot; dropped');
    return;
  }
  const stored = await receiveInboundSms(deps, { ...number, account_id: number.account_id, bot_id: number.bot_id }, sms);
  if (!stored) req.log.info({ provider: sms.provider }, 'sms delivered again by the provider; already stored');
}

function applyReport(deps: AppDeps, provider: 'twilio' | 'sinch', report: DeliveryReport) {
  return applyDeliveryReport(deps, {
    match: { provider, providerMessageId: report.providerMessageId, id: report.reference },
    status: report.status,
    errorCode: report.errorCode,
  });
}
