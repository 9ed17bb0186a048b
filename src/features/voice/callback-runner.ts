import type { AppDeps } from '../../core/context.js';
import { hangUp, listen, type CallPlan, type RenderSettings } from './call-plan.js';
import { loadScene, type CallScene, type CallStep } from './call-scene.js';
import { awaitAnswer, findAndClaim, recordAnswer } from './call-records.js';
import { DEFAULT_VOICE } from './voice-settings.js';

/** Renders a plan in the provider's markup with the call's voice settings (defaults when the call is unknown). */
export type Render = (plan: CallPlan, settings: RenderSettings, scene: CallScene | null) => string;

/** How long a retried callback waits for its first delivery's answer before answering on its own. */
const RETRY_WAIT_MS = 8_000;

/**
 * Answers a verified callback about a known call: claims it (a retried callback gets the first
 * answer and runs nothing again), runs `act` on the call's scene, renders and records the step with
 * its latency from `receivedAt`. An unknown call, or one whose bot is gone, is hung up.
 */
export async function answerCallback(
  deps: AppDeps,
  at: { provider: 'sinch' | 'twilio'; providerCallId: string; ourId: string | null; key: string; receivedAt: number },
  act: (scene: CallScene) => Promise<CallStep> | CallStep,
  render: Render,
): Promise<string> {
  const found = await findAndClaim(deps.db, at);
  if (!found) return render(hangUp(), DEFAULT_VOICE, null);
  const { call, claim } = found;
  if (!claim.fresh) return replay(deps, at.key, claim.response, render);
  const scene = await loadScene(deps, call);
  if (!scene) return render(hangUp(), DEFAULT_VOICE, null);
  return finishStep(deps, scene, await act(scene), { key: at.key, receivedAt: at.receivedAt }, render);
}

/**
 * The answer to a callback delivered again: the first delivery's, waiting for it while it is still
 * being made; past the wait, the caller is simply heard again.
 */
export async function replay(deps: AppDeps, key: string, response: string | null, render: Render): Promise<string> {
  return response ?? (await awaitAnswer(deps.db, key, RETRY_WAIT_MS)) ?? render(listen(), DEFAULT_VOICE, null);
}

/** Renders a step and records it (turns, call changes, events, the answer for retries). */
export async function finishStep(deps: AppDeps, scene: CallScene, step: CallStep, at: { key: string; receivedAt: number }, render: Render): Promise<string> {
  const response = render(step.plan, scene.settings, scene);
  await recordAnswer(deps.db, scene.ctx, { call: scene.call, key: at.key, response, receivedAt: at.receivedAt, turns: step.turns, patch: step.patch, events: step.events, spoke: step.spoke });
  return response;
}
