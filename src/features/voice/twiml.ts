import twilio from 'twilio';
import { utterances, type CallPlan, type RenderSettings } from './call-plan.js';

/** Our Twilio voice callback URLs for one call: the gather loop, the end of a transfer, the recording. */
export interface TwilioCallUrls {
  gather: string;
  dialEnded: string;
  recording: string;
}

/**
 * A call plan as TwiML (telephony.md §3.4). Listening is a speech `<Gather>` whose `<Say>`s are inside
 * it, so the caller can interrupt (bargeIn); an empty result still comes back to the gather URL
 * (actionOnEmptyResult), which is how silence is heard.
 */
export function toTwiml(plan: CallPlan, settings: RenderSettings, urls: TwilioCallUrls): string {
  const r = new twilio.twiml.VoiceResponse();
  if (plan.next.kind === 'reject') {
    r.reject();
    return r.toString();
  }
  // Twilio has no separate answer callback for a leg under way: nothing to add.
  if (plan.next.kind === 'continue') return r.toString();
  if (plan.record) r.start().recording({ recordingStatusCallback: urls.recording, recordingStatusCallbackMethod: 'POST', recordingStatusCallbackEvent: ['completed'] });
  const sayAttributes = { language: settings.locale as never, ...(settings.voice ? { voice: settings.voice as never } : {}) };
  const lines = plan.say.flatMap((l) => utterances(l, 4000));
  const next = plan.next;
  if (next.kind === 'listen') {
    const g = r.gather({
      input: ['speech', 'dtmf'],
      action: urls.gather,
      method: 'POST',
      language: settings.locale as never,
      speechTimeout: 'auto',
      timeout: settings.silence_timeout_seconds,
      numDigits: 1,
      actionOnEmptyResult: true,
      bargeIn: settings.barge_in,
      speechModel: 'phone_call',
    });
    for (const line of lines) g.say(sayAttributes, line);
    return r.toString();
  }
  for (const line of lines) r.say(sayAttributes, line);
  if (next.kind === 'transfer') {
    r.dial({ callerId: next.cli, action: urls.dialEnded, method: 'POST', timeLimit: next.maxDurationSeconds, answerOnBridge: true }).number(next.number);
  } else {
    r.hangup();
  }
  return r.toString();
}
