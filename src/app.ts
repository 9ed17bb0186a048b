import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler } from 'fastify-type-provider-zod';
import { zodSerializerCompiler } from './core/http/serializer.js';
import type { AppDeps } from './core/context.js';
import { registerAuthHooks } from './core/http/auth-hooks.js';
import { registerCors } from './core/http/cors.js';
import { registerErrorHandling } from './core/http/error-handler.js';
import { registerIdempotency } from './core/http/idempotency.js';
import { registerRejectNul } from './core/http/reject-nul.js';
import { registerSecurityHeaders } from './core/http/security-headers.js';
import { BODY_LIMITS } from './core/http/body-limits.js';
import { registerInFlight } from './core/http/in-flight.js';
import { registerRequestMetrics } from './core/http/request-metrics.js';
import { registerRequestTracing } from './core/http/request-tracing.js';
import { authRoutes } from './features/auth/routes.js';
import { botRoutes } from './features/bots/routes.js';
import { promptRoutes } from './features/prompts/routes.js';
import { docsRoutes } from './features/system/docs.js';
import { systemRoutes } from './features/system/routes.js';
import { metricsRoutes } from './features/system/metrics-routes.js';
import { userRoutes } from './features/users/routes.js';
import { conversationRoutes } from './features/conversations/routes.js';
import { knowledgeRoutes } from './features/knowledge/routes.js';
import { phoneNumberRoutes } from './features/phone-numbers/routes.js';
import { chatCompletionRoutes } from './features/chat-completions/routes.js';
import { campaignRoutes } from './features/campaigns/routes.js';
import { smsRoutes } from './features/sms/routes.js';
import { voiceRoutes } from './features/voice/routes.js';
import { webhookRoutes } from './features/webhooks/routes.js';
import { notificationRoutes } from './features/notifications/routes.js';
import { analyticsRoutes } from './features/analytics/routes.js';
import { billingRoutes } from './features/billing/routes.js';
import { portabilityRoutes } from './features/portability/routes.js';
import { webRoutes } from './features/web/routes.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

// Request ids: a random per-process prefix and a counter, unique across processes without asking the
// system for random bytes on every request.
const REQUEST_ID_PREFIX = randomBytes(6).toString('hex');
let requestCounter = 0;
const nextRequestId = () => `req_${REQUEST_ID_PREFIX}${(requestCounter++ % 2 ** 48).toString(16).padStart(12, '0')}`;

/** Builds the HTTP app: one error model, auth, idempotency and OpenAPI for every feature's routes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: deps.config.TRUST_PROXY,
    bodyLimit: BODY_LIMITS.standard,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextRequestId();
    },
    routerOptions: { ignoreTrailingSlash: true },
  });
  registerInFlight(app);
  // JSON only: any other body type is a 415 rather than a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  registerErrorHandling(app);
  registerRequestMetrics(app);
  registerRequestTracing(app);
  registerSecurityHeaders(app);
  registerCors(app);
  registerAuthHooks(app, deps);
  registerRejectNul(app);
  registerIdempotency(app, deps);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sinth API',
        version: '1.0.0',
        description: 'One API for AI communications: bots, prompts, conversations, knowledge, SMS and voice. Errors share one shape: {"error": {type, code, message, param?, request_id}}.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
          apiKeyParam: { type: 'apiKey', in: 'query', name: 'api_key' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(systemRoutes(deps));
  await app.register(metricsRoutes(deps));
  await app.register(authRoutes(deps));
  await app.register(botRoutes(deps));
  await app.register(promptRoutes(deps));
  await app.register(userRoutes(deps));
  await app.register(conversationRoutes(deps));
  await app.register(knowledgeRoutes(deps));
  await app.register(phoneNumberRoutes(deps));
  await app.register(chatCompletionRoutes(deps));
  await app.register(campaignRoutes(deps));
  await app.register(smsRoutes(deps));
  await app.register(voiceRoutes(deps));
  await app.register(webhookRoutes(deps));
  await app.register(notificationRoutes(deps));
  await app.register(analyticsRoutes(deps));
  await app.register(billingRoutes(deps));
  await app.register(portabilityRoutes(deps));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(docsRoutes());
  await app.register(webRoutes());
  return app;
}
