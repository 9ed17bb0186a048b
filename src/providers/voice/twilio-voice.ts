import type { Config } from '../../config.js';
import { callTwilio, twilioClient, type TwilioCredentials } from '../twilio-client.js';
import type { CallHandle, PlaceCall, PlacedCall, VoicePort } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/** Twilio Programmable Voice on the official SDK: the call fetches its TwiML from our voice webhook. */
export function twilioVoice(config: Config, credentials: TwilioCredentials): VoicePort {
  const client = twilioClient(config, credentials);
  return instrumented('twilio', {
    provider: 'twilio',
    async place(call: PlaceCall): Promise<PlacedCall> {
      const created = await callTwilio(() =>
        client.calls.create({
          to: call.to,
          from: call.from,
          url: call.webhooks.voice,
          method: 'POST',
          statusCallback: call.webhooks.status,
          statusCallbackMethod: 'POST',
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
          timeLimit: call.maxDurationSeconds,
          // DetectMessageEnd waits for the greeting's end, so a voicemail is left after the beep.
          ...(call.amd ? { machineDetection: 'DetectMessageEnd' } : {}),
          ...(call.record ? { record: true, recordingStatusCallback: call.webhooks.recording, recordingStatusCallbackMethod: 'POST' } : {}),
        }),
      );
      return { providerCallId: created.sid, manageOrigin: null };
    },
    async hangup(call: CallHandle) {
      // Status=completed ends a live call at once.
      await callTwilio(() => client.calls(call.providerCallId).update({ status: 'completed' }));
    },
  });
}
