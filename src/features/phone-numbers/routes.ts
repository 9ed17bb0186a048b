import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { assignPhoneNumber, detachPhoneNumber, getPhoneNumbers } from './numbers-service.js';
import { getPoolNumbers, importTwilioNumber, purchaseTwilioNumber, rentTwilioNumber, searchTwilioNumbers } from './twilio-numbers-service.js';
import * as S from './schemas.js';

// Twilio failures are 502/504 (provider_error, provider_timeout); a server without Twilio is a 422.
const twilioErrors = [422, 502, 504];

export function phoneNumberRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_phone_numbers', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag: 'Phone & SMS', auth: 'admin', summary: 'The account\'s numbers: provider, bot, capabilities, source', ok: page(S.PhoneNumberView) }), querystring: S.GetPhoneNumbersQuery },
    }, (req) => getPhoneNumbers({ ctx: ctxOf(req), input: req.query }));

    const tag = 'Twilio — numbers';

    app.get('/search_for_twilio_number', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Numbers Twilio has for sale', ok: S.NumberList(S.AvailableNumberView), extraErrors: twilioErrors }), querystring: S.SearchNumbersQuery },
    }, (req) => searchTwilioNumbers({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_number_from_pool', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Numbers the platform owns and can rent out', ok: S.NumberList(S.PoolNumberView), extraErrors: twilioErrors }), querystring: S.PoolQuery },
    }, (req) => getPoolNumbers({ ctx: ctxOf(req), input: req.query }));

    app.post('/purchase_twilio_number', {
      config: { auth: 'admin', idempotent: true },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Buy a number on the platform\'s Twilio account; its SMS and voice webhooks point here', ok: S.PhoneNumberView, extraErrors: twilioErrors }),
        body: S.PurchaseNumberInput,
      },
    }, (req) => purchaseTwilioNumber({ ctx: ctxOf(req), input: req.body }));

    app.post('/import_twilio_number', {
      config: { auth: 'admin' },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Bring your own Twilio number: credentials checked with Twilio and stored encrypted; webhooks pointed here',
          ok: S.PhoneNumberView,
          extraErrors: twilioErrors,
        }),
        body: S.ImportNumberInput,
      },
    }, (req) => importTwilioNumber({ ctx: ctxOf(req), input: req.body }));

    app.post('/rent_twilio_number', {
      config: { auth: 'admin', idempotent: true },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Rent a number from the platform\'s pool', ok: S.PhoneNumberView, extraErrors: twilioErrors }), body: S.RentNumberInput },
    }, (req) => rentTwilioNumber({ ctx: ctxOf(req), input: req.body }));

    app.post('/assign_phone_number', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Route a number\'s messages and calls to a bot; provider "sinch" registers a Sinch number', ok: S.PhoneNumberView, extraErrors: [422] }),
        body: S.AssignNumberInput,
      },
    }, (req) => assignPhoneNumber({ ctx: ctxOf(req), input: req.body }));

    app.post('/detach_twilio_number', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Stop routing a number to its bot; a rented one returns to the pool; release: true lets a purchased one go', ok: S.DetachResult, extraErrors: twilioErrors }),
        body: S.DetachNumberInput,
      },
    }, (req) => detachPhoneNumber({ ctx: ctxOf(req), input: req.body }));
  };
}
