import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { acceptRawBodies, rawBody, refuseCallback } from '../../core/http/raw-callbacks.js';
import { publicBase } from '../../core/public-url.js';
import { sinchManageOrigin, sinchVoiceCredentials } from '../../providers/voice/sinch-voice.js';
import { normalizeNumber } from '../sms/callbacks.js';
import { checkTwilioCallback } from '../sms/webhook-auth.js';
import { hangUp } from './call-plan.js';
import { closeCall, type CallEnding } from './call-ending.js';
import { answeredCall, callerTurn, transferEnded } from './call-flow.js';
import { openInboundCall } from './inbound-call.js';
import { callbackKey, findCallForCallback, markRinging, updateCall } from './call-records.js';
import { answerCallback, finishStep, replay, type Render } from './callback-runner.js';
import { checkSinchCallback } from './sinch-callback-auth.js';
import { amdVerdict, diceEnding, pieInput, SinchCallback } from './sinch-events.js';
import { NO_SVAML, toSvaml, type SinchEvent } from './sinch-svaml.js';
import { toTwiml } from './twiml.js';
import { DEFAULT_VOICE } from './voice-settings.js';
import { ownEntry } from '../../core/own-entry.js';

/** Callbacks are small: one Sinch event, or Twilio's call fields (a speech result is at most a few KB). */
const BODY_LIMIT = 64 * 1024;
const E164 = /^\+[1-9]\d{6,14}$/;
const e164OrNull = (raw: unknown) => {
  const n = normalizeNumber(raw);
  return E164.test(n) ? n : null;
};

/**
 * POST /webhooks/sinch/voice (ICE, ACE, PIE, DiCE, Notify) and the Twilio voice webhooks. The
 * provider waits for the answer (SVAML or TwiML) while the caller listens, so this path is
 * synchronous and measured. Each request's signature is checked on the raw bytes before anything
 * in it is read; a bad one is a 401 and nothing happens.
 */
export function voiceWebhookRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    acceptRawBodies(app, BODY_LIMIT);
    const schema = (summary: string) => ({ schema: { tags: ['Provider callbacks'], summary } });

    app.post('/webhooks/sinch/voice', schema('Sinch Voice ICE, ACE, PIE, DiCE and Notify (Authorization: Application key:signature, x-timestamp)'), async (req, reply) => {
      const receivedAt = performance.now();
      const credentials = sinchVoiceCredentials(deps.config);
      if (!credentials) throw refuseCallback(req, 'sinch', 'SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET are not set');
      const body = rawBody(req);
      // Sinch signs the path of the callback URL it was given: PUBLIC_URL's path prefix, if any, and ours.
      const prefix = publicBase(deps.config) ? new URL(publicBase(deps.config)!).pathname.replace(/\/+$/, '') : '';
      const failure = checkSinchCallback(
        { appKey: credentials.appKey, secretBase64: credentials.appSecret, maxAgeSeconds: deps.config.SINCH_CALLBACK_MAX_AGE_SECONDS, nowMs: Date.now() },
        { method: 'POST', path: prefix + req.url.split('?')[0], headers: req.headers, body },
      );
      if (failure) throw refuseCallback(req, 'sinch', failure);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw invalid('body', 'The callback body is not JSON.', 'invalid_json');
      }
      const parsed = SinchCallback.safeParse(json);
      if (!parsed.success) throw invalid('body', 'The callback is not a Sinch Voice event this server reads.', 'invalid_callback');
      const e = parsed.data;
      const key = callbackKey('sinch', body);
      const svaml = (event: SinchEvent): Render => (plan, settings) => JSON.stringify(toSvaml(plan, settings, event));
      const send = (text: string) => reply.code(200).type('application/json').send(text);

      if (e.event === 'ice') {
        const outcome = await openInboundCall(deps, { provider: 'sinch', providerCallId: e.callid, from: e164OrNull(e.cli), to: normalizeNumber(e.to?.endpoint), manageOrigin: sinchManageOrigin(credentials, e.callResourceUrl), key });
        if (outcome.kind === 'replay') return send(await replay(deps, key, outcome.response, svaml('ice')));
        if (!outcome.scene) return send(svaml('ice')(outcome.step.plan, DEFAULT_VOICE, null));
        return send(await finishStep(deps, outcome.scene, outcome.step, { key, receivedAt }, svaml('ice')));
      }
      const at = { provider: 'sinch' as const, providerCallId: e.callid, ourId: null as string | null, key, receivedAt };
      if (e.event === 'ace') {
        return send(await answerCallback(deps, { ...at, ourId: e.custom ?? null }, (scene) => answeredCall(scene, amdVerdict(e.amd?.status)), svaml('ace')));
      }
      if (e.event === 'pie') {
        const input = pieInput(e.menuResult);
        return send(await answerCallback(deps, at, (scene) => (input === 'hangup' ? { plan: hangUp(), turns: [] } : callerTurn(scene, input)), svaml('pie')));
      }
      // `custom` finds a call whose DiCE outran the callout's answer.
      const call = await findCallForCallback(deps.db, 'sinch', e.callid, e.custom ?? null);
      if (call && e.event === 'dice') await closeCall(deps, call, diceEnding(e));
      if (call && e.event === 'notify') await applyNotify(deps, call, e);
      return reply.code(200).send(NO_SVAML);
    });

    /** Verifies a Twilio voice callback; the bot's number is To on inbound calls, From on the calls we place. */
    const verifiedTwilioForm = async (req: FastifyRequest) => {
      const body = rawBody(req);
      const checked = await checkTwilioCallback(deps, { url: req.url, body, signature: req.headers['x-twilio-signature'] }, (form) =>
        String(form.Direction ?? '').startsWith('outbound') ? form.From : form.To,
      );
      if ('failure' in checked) throw refuseCallback(req, 'twilio', checked.failure);
      const callSid = checked.field('CallSid');
      if (!callSid || !/^CA[0-9a-f]{32}$/i.test(callSid)) throw invalid('CallSid', 'The callback has no CallSid.', 'invalid_callback');
      return { field: checked.field, callSid, base: publicBase(deps.config)!, key: callbackKey('twilio', `${req.url}\n${body.toString('utf8')}`) };
    };
    const ourCallId = (req: FastifyRequest) => {
      const id = (req.query as Record<string, unknown>).call_id;
      return typeof id === 'string' && /^call_[0-9a-z]{26}$/.test(id) ? id : null;
    };
    const twiml = (reply: FastifyReply, text: string) => reply.code(200).type('text/xml; charset=utf-8').send(text);
    // Twilio sends the same fields for two silences in a row; a fresh token in each Gather's URL
    // tells a new turn from a retry of the last (the callback key covers the URL).
    const renderTwiml = (base: string): Render => (plan, settings, scene) => {
      const q = `call_id=${scene?.call.id ?? ''}&turn=${randomBytes(6).toString('hex')}`;
      return toTwiml(plan, settings, { gather: `${base}/webhooks/twilio/voice/gather?${q}`, dialEnded: `${base}/webhooks/twilio/voice/gather?${q}&dial=1`, recording: `${base}/webhooks/twilio/voice/recording?${q}` });
    };

    app.post('/webhooks/twilio/voice', schema('Twilio voice: an inbound call, or one of ours answered (X-Twilio-Signature)'), async (req, reply) => {
      const receivedAt = performance.now();
      const { field, callSid, base, key } = await verifiedTwilioForm(req);
      const render = renderTwiml(base);
      const ours = ourCallId(req);
      if (ours) {
        const by = field('AnsweredBy');
        const verdict = by === 'human' ? 'human' : by?.startsWith('machine') || by === 'fax' ? 'machine' : 'unknown';
        return twiml(reply, await answerCallback(deps, { provider: 'twilio', providerCallId: callSid, ourId: ours, key, receivedAt }, (scene) => answeredCall(scene, verdict), render));
      }
      const outcome = await openInboundCall(deps, { provider: 'twilio', providerCallId: callSid, from: e164OrNull(field('From')), to: normalizeNumber(field('To')), manageOrigin: null, key });
      if (outcome.kind === 'replay') return twiml(reply, await replay(deps, key, outcome.response, render));
      if (!outcome.scene) return twiml(reply, render(outcome.step.plan, DEFAULT_VOICE, null));
      return twiml(reply, await finishStep(deps, outcome.scene, outcome.step, { key, receivedAt }, render));
    });

    app.post('/webhooks/twilio/voice/gather', schema('Twilio voice: what the caller said (Gather action) or how a transfer ended (X-Twilio-Signature)'), async (req, reply) => {
      const receivedAt = performance.now();
      const { field, callSid, base, key } = await verifiedTwilioForm(req);
      const at = { provider: 'twilio' as const, providerCallId: callSid, ourId: ourCallId(req), key, receivedAt };
      if ((req.query as Record<string, unknown>).dial === '1') {
        return twiml(reply, await answerCallback(deps, at, (scene) => transferEnded(scene, field('DialCallStatus') === 'completed'), renderTwiml(base)));
      }
      const said = (field('SpeechResult') ?? '').trim().slice(0, 4000);
      const digits = (field('Digits') ?? '').replace(/[^0-9*#]/g, '');
      const input = said ? { kind: 'speech' as const, text: said } : digits ? { kind: 'speech' as const, text: `(pressed ${digits})` } : { kind: 'silence' as const };
      return twiml(reply, await answerCallback(deps, at, (scene) => callerTurn(scene, input), renderTwiml(base)));
    });

    app.post('/webhooks/twilio/voice/status', schema('Twilio voice: call progress and how the call ended (X-Twilio-Signature)'), async (req, reply) => {
      const { field, callSid } = await verifiedTwilioForm(req);
      const call = await findCallForCallback(deps.db, 'twilio', callSid, ourCallId(req));
      if (call) {
        const status = field('CallStatus');
        const ending = twilioEnding(status, field('CallDuration'), field('AnsweredBy'));
        if (ending) await closeCall(deps, call, ending);
        else if (status === 'ringing') await markRinging(deps.db, call.id);
      }
      return reply.code(204).send();
    });

    app.post('/webhooks/twilio/voice/recording', schema('Twilio voice: a recording is ready (X-Twilio-Signature)'), async (req, reply) => {
      const { field, callSid } = await verifiedTwilioForm(req);
      const call = await findCallForCallback(deps.db, 'twilio', callSid, ourCallId(req));
      const url = field('RecordingUrl');
      if (call && url && /^https:\/\/\S{1,2000}$/.test(url)) await updateCall(deps.db, call.id, { recording_url: url });
      return reply.code(204).send();
    });
  };
}

/** Twilio's final CallStatus values as a call ending; null while the call is still going. */
function twilioEnding(status: string | undefined, duration: string | undefined, answeredBy: string | undefined): CallEnding | null {
  const map: Record<string, CallEnding['status']> = { completed: 'completed', busy: 'busy', 'no-answer': 'no_answer', failed: 'failed', canceled: 'canceled' };
  const ended = status ? ownEntry(map, status) : undefined;
  if (!ended) return null;
  const seconds = duration && /^\d{1,7}$/.test(duration) ? Number(duration) : null;
  return { status: ended, result: status!.toUpperCase(), reason: answeredBy ? `answered_by_${answeredBy}`.slice(0, 64) : null, durationSeconds: seconds, cost: null, currency: null };
}

/** Notify: where the recording is (Sinch stores it; we keep the location), or a late AMD verdict. */
async function applyNotify(deps: AppDeps, call: { id: string }, e: { type?: string | undefined; destination?: string | undefined; amd?: { status?: string | undefined } | undefined }) {
  const patch: { recording_url?: string; answered_by?: string } = {};
  if ((e.type === 'recording_available' || e.type === 'recording_finished') && e.destination && /^(https|s3|azure):\/\/\S+$/.test(e.destination)) patch.recording_url = e.destination;
  if ((e.type === 'amd' || e.type === 'amd_beep') && e.amd?.status) patch.answered_by = amdVerdict(e.amd.status);
  if (Object.keys(patch).length) await updateCall(deps.db, call.id, patch);
}

