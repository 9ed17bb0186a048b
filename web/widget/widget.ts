// Entry of GET /widget.js, bundled as an IIFE: nothing is added to the host page's window.
import { startWidget } from './chat.js';

const script = (document.currentScript as HTMLScriptElement | null) ?? document.querySelector<HTMLScriptElement>('script[src$="/widget.js"][data-bot]');
const bot = script?.dataset.bot?.trim();
const key = script?.dataset.key?.trim();

const present = (b: string) => document.querySelector(`[data-sinth-widget="${CSS.escape(b)}"]`) !== null;
if (script && bot && key && !present(bot)) {
  // Checked again when it runs: two copies of the tag in <head> both wait for the body.
  const run = () => present(bot) || startWidget({ host: new URL(script.src, location.href).origin, bot, key });
  if (document.body) run();
  else document.addEventListener('DOMContentLoaded', run, { once: true });
}
