/**
 * What Sinch accepts as an answer to ICE, ACE and PIE (telephony.md §1.3). Sinch itself answers a
 * bad SVAML document by playing an error and dropping the call, so the simulator checks each answer
 * here and reports every rule it breaks rather than stopping at the first.
 */
export type SvamlEvent = 'ice' | 'ace' | 'pie';

const ACTIONS: Record<SvamlEvent, readonly string[]> = {
  ice: ['hangup', 'connectPstn', 'connectMxp', 'connectConf', 'connectSip', 'connectStream', 'runMenu', 'park'],
  ace: ['hangup', 'continue', 'connectConf', 'runMenu'],
  pie: ['hangup', 'continue', 'connectPstn', 'connectConf', 'connectSip', 'runMenu'],
};

const INSTRUCTIONS: Record<SvamlEvent, readonly string[]> = {
  ice: ['playFiles', 'say', 'sendDtmf', 'setCookie', 'startRecording', 'answer'],
  ace: ['playFiles', 'say', 'setCookie', 'startRecording'],
  pie: ['playFiles', 'say', 'sendDtmf', 'setCookie', 'startRecording', 'stopRecording'],
};

const TTS_MAX = 600;
const MAX_DURATION = 14_400;
const E164 = /^\+[1-9]\d{6,14}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

export function svamlProblems(event: SvamlEvent, svaml: unknown): string[] {
  if (!isObj(svaml)) return ['the answer is not a JSON object'];
  const problems: string[] = [];
  for (const key of Object.keys(svaml)) {
    if (key !== 'action' && key !== 'instructions') problems.push(`unknown top-level field "${key}"`);
  }

  const { action, instructions } = svaml;
  if (action === undefined) problems.push('no action: a response carries exactly one');
  else if (Array.isArray(action)) problems.push(`${action.length} actions: a response carries exactly one`);
  else if (!isObj(action) || typeof action.name !== 'string') problems.push('action must be an object with a string name');
  else if (!ACTIONS[event].includes(action.name)) problems.push(`action ${action.name} is not allowed in answer to ${event.toUpperCase()} (allowed: ${ACTIONS[event].join(', ')})`);
  else problems.push(...actionProblems(action));

  if (instructions !== undefined) {
    if (!Array.isArray(instructions)) problems.push('instructions must be an array');
    else {
      instructions.forEach((ins, i) => {
        const where = `instructions[${i}]`;
        if (!isObj(ins) || typeof ins.name !== 'string') problems.push(`${where} must be an object with a string name`);
        else if (!INSTRUCTIONS[event].includes(ins.name)) problems.push(`${where}: ${ins.name} is not allowed in answer to ${event.toUpperCase()} (allowed: ${INSTRUCTIONS[event].join(', ')})`);
        else problems.push(...instructionProblems(ins).map((p) => `${where} ${ins.name}: ${p}`));
      });
    }
  }
  return problems;
}

function instructionProblems(ins: Obj): string[] {
  switch (ins.name) {
    case 'say':
      return ttsTextProblems(ins.text, 'text');
    case 'playFiles': {
      if (!Array.isArray(ins.ids) || ins.ids.length === 0) return ['ids must be a non-empty array'];
      const problems = ins.ids.flatMap((id, i) => (typeof id === 'string' ? segmentProblems(id, `ids[${i}]`) : [`ids[${i}] must be a string`]));
      const synthesised = ins.ids.some((id) => typeof id === 'string' && /^#(tts|ssml)\[/.test(id.trim()));
      if (synthesised && !nonEmpty(ins.locale)) problems.push('locale is required when ids use #tts or #ssml');
      return problems;
    }
    case 'sendDtmf':
      return typeof ins.value === 'string' && /^[0-9#w]+$/.test(ins.value) ? [] : ['value must be made of 0-9, # and w'];
    case 'setCookie':
      return typeof ins.key === 'string' && typeof ins.value === 'string' ? [] : ['key and value must be strings'];
    default:
      return [];
  }
}

function actionProblems(action: Obj): string[] {
  switch (action.name) {
    case 'runMenu':
      return runMenuProblems(action).map((p) => `runMenu: ${p}`);
    case 'connectPstn': {
      const problems: string[] = [];
      for (const field of ['number', 'cli'] as const) {
        const v = action[field];
        if (v !== undefined && !(typeof v === 'string' && E164.test(v))) problems.push(`${field} must be E.164 (got ${JSON.stringify(v)})`);
      }
      problems.push(...maxDurationProblems(action.maxDuration));
      return problems.map((p) => `connectPstn: ${p}`);
    }
    case 'connectSip': {
      const d = action.destination;
      const problems = isObj(d) && d.type === 'sip' && nonEmpty(d.endpoint) ? [] : ['destination must be {type: "sip", endpoint}'];
      return [...problems, ...maxDurationProblems(action.maxDuration)].map((p) => `connectSip: ${p}`);
    }
    case 'connectConf':
      return typeof action.conferenceId === 'string' && action.conferenceId.length > 0 && action.conferenceId.length <= 64
        ? []
        : ['connectConf: conferenceId must be a string of 1-64 characters'];
    default:
      return [];
  }
}

function maxDurationProblems(v: unknown): string[] {
  if (v === undefined) return [];
  return typeof v === 'number' && v > 0 && v <= MAX_DURATION ? [] : [`maxDuration must be a number of seconds up to ${MAX_DURATION} (got ${JSON.stringify(v)})`];
}

function runMenuProblems(action: Obj): string[] {
  const problems: string[] = [];
  if (action.enableVoice === true && !nonEmpty(action.locale)) problems.push('locale is required when enableVoice is true (it picks the recognition language)');
  const menus = action.menus;
  if (!Array.isArray(menus) || menus.length === 0) return [...problems, 'menus must be a non-empty array'];

  const ids = menus.map((m) => (isObj(m) ? m.id : undefined));
  const known = new Set(ids.filter((id): id is string => typeof id === 'string'));
  if (known.size !== ids.length) problems.push('every menu needs a unique string id');
  if (!ids.includes('main')) problems.push('no menu has id "main"');
  if (action.mainMenu !== undefined && !(typeof action.mainMenu === 'string' && known.has(action.mainMenu))) problems.push(`mainMenu ${JSON.stringify(action.mainMenu)} names no menu`);

  menus.forEach((menu, i) => {
    if (!isObj(menu)) return;
    const where = `menus[${i}]`;
    for (const field of ['mainPrompt', 'repeatPrompt'] as const) {
      const prompt = menu[field];
      if (prompt === undefined) continue;
      if (typeof prompt !== 'string') problems.push(`${where}.${field} must be a string`);
      else problems.push(...promptProblems(prompt, `${where}.${field}`));
    }
    if (menu.options === undefined) return;
    if (!Array.isArray(menu.options)) {
      problems.push(`${where}.options must be an array`);
      return;
    }
    menu.options.forEach((opt, j) => {
      const at = `${where}.options[${j}]`;
      if (!isObj(opt)) {
        problems.push(`${at} must be an object {dtmf, action}`);
        return;
      }
      if (!/^[0-9#*]+$/.test(String(opt.dtmf ?? ''))) problems.push(`${at}.dtmf must be digits, # or *`);
      const target = typeof opt.action === 'string' ? /^(menu|return)\((.*)\)$/.exec(opt.action) : null;
      if (!target) problems.push(`${at}.action must be menu(<id>) or return(<value>)`);
      else if (target[1] === 'menu' && !known.has(target[2]!)) problems.push(`${at}.action ${opt.action} names no menu`);
    });
  });
  return problems;
}

// Sinch splits a prompt on every ";" (there is no escaping), so a ";" inside #tts[...] breaks it.
function promptProblems(prompt: string, where: string): string[] {
  return prompt.split(';').flatMap((segment, i) => segmentProblems(segment, `${where} segment ${i + 1}`));
}

function segmentProblems(raw: string, where: string): string[] {
  const segment = raw.trim();
  const m = /^#(tts|ssml|href)\[([\s\S]*)\]$/.exec(segment);
  if (!m) {
    return /^https?:\/\/\S+$/.test(segment) ? [] : [`${where} ${JSON.stringify(segment)} is not #tts[...], #ssml[...], #href[...] or a URL (a ";" inside the text splits it)`];
  }
  if (m[1] !== 'tts') return nonEmpty(m[2]) ? [] : [`${where}: #${m[1]}[] is empty`];
  const problems = ttsTextProblems(m[2], `${where} #tts text`);
  if (/[[\]]/.test(m[2]!)) problems.push(`${where} #tts text contains "[" or "]", which end the segment early`);
  return problems;
}

function ttsTextProblems(text: unknown, what: string): string[] {
  if (!nonEmpty(text)) return [`${what} must be a non-empty string`];
  return text.length > TTS_MAX ? [`${what} is ${text.length} characters, over Sinch's ${TTS_MAX}`] : [];
}

/** What the caller hears from an SVAML answer, in order: say and playFiles #tts texts, then the menu's prompt. */
export function spokenText(svaml: unknown): string[] {
  if (!isObj(svaml)) return [];
  const spoken: string[] = [];
  for (const ins of Array.isArray(svaml.instructions) ? svaml.instructions : []) {
    if (!isObj(ins)) continue;
    if (ins.name === 'say' && typeof ins.text === 'string') spoken.push(ins.text);
    if (ins.name === 'playFiles' && Array.isArray(ins.ids)) spoken.push(...ins.ids.flatMap((id) => (typeof id === 'string' ? ttsTexts(id) : [])));
  }
  const action = svaml.action;
  if (isObj(action) && action.name === 'runMenu' && Array.isArray(action.menus)) {
    const mainId = typeof action.mainMenu === 'string' ? action.mainMenu : 'main';
    const menu = action.menus.find((m) => isObj(m) && m.id === mainId);
    if (isObj(menu) && typeof menu.mainPrompt === 'string') spoken.push(...ttsTexts(menu.mainPrompt));
  }
  return spoken;
}

function ttsTexts(prompt: string): string[] {
  return prompt.split(';').flatMap((s) => {
    const m = /^#tts\[([\s\S]*)\]$/.exec(s.trim());
    return m ? [m[1]!] : [];
  });
}
