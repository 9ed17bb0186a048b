import { SinchClient } from '@sinch/sdk-core';
import type { Config } from '../../config.js';
import { sinchFailure, sinchTimeoutPlugin } from '../sinch-client.js';
import type { CallHandle, PlaceCall, PlacedCall, VoicePort } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/**
 * Sinch Voice (Calling API v1) on the official SDK, signed with the application key and secret.
 * SINCH_VOICE_BASE_URL (a sandbox, or a test's fake) replaces the regional hosts.
 */

export interface SinchVoiceCredentials {
  appKey: string;
  appSecret: string;
  baseUrl: string | null;
}

export function sinchVoiceCredentials(config: Config): SinchVoiceCredentials | null {
  if (!config.SINCH_APPLICATION_KEY || !config.SINCH_APPLICATION_SECRET) return null;
  return { appKey: config.SINCH_APPLICATION_KEY, appSecret: config.SINCH_APPLICATION_SECRET, baseUrl: config.SINCH_VOICE_BASE_URL?.replace(/\/+$/, '') ?? null };
}

/** The traffic origin of a region (telephony.md §1.6). */
export function sinchRegionOrigin(region: string): string {
  return region === 'global' ? 'https://calling.api.sinch.com' : `https://calling-${region}.api.sinch.com`;
}

/** Where callouts go: the configured base URL (a sandbox or fake) or the region's host. */
export const sinchCalloutOrigin = (credentials: SinchVoiceCredentials, region: string) => credentials.baseUrl ?? sinchRegionOrigin(region);

const SINCH_CALLING_HOST = /^calling(-[a-z0-9]+)?\.api\.sinch\.com$/;

/**
 * The origin that manages an inbound call, from its ICE `callResourceUrl`: only a Sinch calling host
 * (or the configured base URL): a callback field must never send our signed requests elsewhere.
 */
export function sinchManageOrigin(credentials: SinchVoiceCredentials, callResourceUrl: unknown): string | null {
  if (typeof callResourceUrl !== 'string') return null;
  let url: URL;
  try {
    url = new URL(callResourceUrl);
  } catch {
    return null;
  }
  if (credentials.baseUrl && url.origin === new URL(credentials.baseUrl).origin) return credentials.baseUrl;
  return url.protocol === 'https:' && SINCH_CALLING_HOST.test(url.hostname) && !url.port ? url.origin : null;
}

export function sinchVoice(credentials: SinchVoiceCredentials, region: string): VoicePort {
  const client = (origin: string) =>
    new SinchClient({
      applicationKey: credentials.appKey,
      applicationSecret: credentials.appSecret,
      voiceHostname: origin,
      requestPlugins: [sinchTimeoutPlugin],
      logger: null,
    });
  const calloutOrigin = sinchCalloutOrigin(credentials, region);
  return instrumented('sinch', {
    provider: 'sinch',
    async place(call: PlaceCall): Promise<PlacedCall> {
      // The callee is dialled by the inline ICE: connectPstn with our number as cli (a callout
      // without one is accepted and never connects). ACE and PIE come to our webhook.
      const ice = {
        instructions: call.record ? [{ name: 'startRecording', options: { notificationEvents: true } }] : [],
        action: { name: 'connectPstn', number: call.to, cli: call.from, maxDuration: call.maxDurationSeconds, ...(call.amd ? { amd: { enabled: true } } : {}) },
      };
      let answer: { callId?: string };
      try {
        answer = await client(calloutOrigin).voice.callouts.custom({
          customCalloutRequestBody: {
            method: 'customCallout',
            customCallout: { custom: call.callId, maxDuration: call.maxDurationSeconds, ice: JSON.stringify(ice), ace: call.webhooks.voice, pie: call.webhooks.voice },
          },
        });
      } catch (err) {
        throw sinchFailure(err, 'Voice');
      }
      if (!answer.callId) throw sinchFailure({ statusCode: 200, data: { message: 'the callout was answered without a callId' } }, 'Voice');
      return { providerCallId: answer.callId, manageOrigin: calloutOrigin };
    },
    async hangup(call: CallHandle) {
      try {
        await client(call.manageOrigin ?? calloutOrigin).voice.calls.update({
          callId: call.providerCallId,
          updateCallRequestBody: {
            instructions: [],
            action: { name: 'hangup' },
          },
        });
      } catch (err) {
        throw sinchFailure(err, 'Voice');
      }
    },
  });
}
