import { utterances, type CallPlan, type RenderSettings } from './call-plan.js';

/**
 * A call plan as Sinch SVAML for the event being answered (telephony.md §1.3): one action, and
 * instructions before it. Listening is a `runMenu` with voice input whose prompt carries what the
 * bot says, so the caller can interrupt it (barge-in); elsewhere lines are `say` instructions.
 */
export type SinchEvent = 'ice' | 'ace' | 'pie';

export interface Svaml {
  instructions: Array<Record<string, unknown>>;
  action: Record<string, unknown>;
}

/** A `#tts[...]` prompt segment: brackets and the `;` separator would break the prompt syntax. */
const ttsSegment = (text: string) => `#tts[${text.replace(/[[\]]/g, ' ').replace(/;/g, ',')}]`;

export function toSvaml(plan: CallPlan, settings: RenderSettings, event: SinchEvent): Svaml {
  const speech = settings.voice ?? settings.locale;
  const lines = plan.say.flatMap((l) => utterances(l));
  const instructions: Array<Record<string, unknown>> = [];
  // ICE answers first (prompts need an answered call); startRecording goes before the connecting action.
  if (event === 'ice' && plan.next.kind !== 'reject') instructions.push({ name: 'answer' });
  if (plan.record && event !== 'pie') instructions.push({ name: 'startRecording', options: { notificationEvents: true } });
  const says = () => lines.map((text) => ({ name: 'say', text, locale: speech }));

  switch (plan.next.kind) {
    case 'reject':
      return { instructions: [], action: { name: 'hangup' } };
    case 'continue':
      return { instructions: [], action: { name: 'continue' } };
    case 'hangup':
      return { instructions: [...instructions, ...says()], action: { name: 'hangup' } };
    case 'transfer':
      // ACE answers cannot connect a call (§1.3): a transfer is answered to ICE or PIE only.
      if (event === 'ace') throw new Error('a transfer cannot answer an ACE');
      return {
        instructions: [...instructions, ...says()],
        action: { name: 'connectPstn', number: plan.next.number, cli: plan.next.cli, maxDuration: plan.next.maxDurationSeconds, locale: settings.locale },
      };
    case 'listen': {
      const menu: Record<string, unknown> = { id: 'main', timeoutMills: settings.silence_timeout_seconds * 1000, repeats: 0, maxDigits: 1 };
      if (lines.length) menu.mainPrompt = lines.map(ttsSegment).join(';');
      return { instructions, action: { name: 'runMenu', barge: settings.barge_in, locale: settings.locale, enableVoice: true, menus: [menu] } };
    }
  }
}

/** DiCE and Notify are informational: Sinch wants a 200 and no SVAML. */
export const NO_SVAML = '';
