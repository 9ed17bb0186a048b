/**
 * Hard content limits that no prompt, slider or setting can switch off. They run on every user
 * message before the model is asked, and on every model reply before it is sent.
 *
 * | category    | refused when                                                                  |
 * |-------------|-------------------------------------------------------------------------------|
 * | minors      | a term that only names sexualised minors, or a minor (age under 18, or child, |
 * |             | kid, schoolgirl, teen under 18…) in the same message as sexual content        |
 * | non_consent | rape or sexual assault, or sex with someone asleep, unconscious, drugged or  |
 * |             | unwilling                                                                      |
 * | bestiality  | sex with animals                                                               |
 *
 * Matching is on normalised text (lower case, common letter swaps undone, punctuation as spaces), so
 * "r4pe" or "s.e.x" do not slip through. It is a fixed floor, not a moderation model: the optional
 * moderation provider and per-bot blocked topics add to it.
 */
export type HardLimit = 'minors' | 'non_consent' | 'bestiality';

export interface SafetyVerdict {
  allowed: boolean;
  category: HardLimit | null;
}

/** What the bot says instead, whatever the persona: fixed, so it cannot be steered. */
export const SAFE_REPLY = "I can't go there. Everything here stays between consenting adults — let's talk about something else.";

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

export function normalise(text: string): string {
  return ` ${text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // Letter swaps inside words that start and end with a letter ("m1nor", "j41lb41t"), never in
    // numbers such as "16yo" or "10pm".
    .replace(/(?<![a-z0-9@$])[a-z@$][a-z0-9@$]*[a-z](?![a-z0-9@$])/g, (w) => w.replace(/[013457@$]/g, (c) => LEET[c] ?? c))
    .replace(/\b([a-z])[.\-*_]((?:[a-z][.\-*_])+[a-z])?\b/g, (m) => m.replace(/[.\-*_]/g, ''))
    // Clause punctuation stays a boundary ("|"), so "I'm 14, am I…" is not read as "14 am".
    .replace(/\s*[.,!?;:]+\s*/g, ' | ')
    .replace(/[^a-z0-9|]+/g, ' ')
    .trim()} `;
}

const any = (words: string[]) => new RegExp(`\\b(?:${words.join('|')})\\b`);

const SEXUAL = any([
  'sex', 'sexy', 'sext\\w*', 'sexual(?:ly)?', 'nude', 'nudes', 'naked', 'fuck\\w*', 'horny', 'cock', 'dick', 'pussy', 'boobs?', 'tits?',
  'cum\\w*', 'orgasm\\w*', 'masturbat\\w*', 'blow ?jobs?', 'porn\\w*', 'nsfw', 'erotic\\w*', 'aroused', 'strip(?:ping)?',
  'suck(?:ing)? (?:my|your|his|her)', 'make out', 'have sex', 'sleep with', 'in bed', 'undress\\w*', 'lingerie', 'kink\\w*',
  'grope\\w*', 'fondl\\w*', 'penetrat\\w*', 'molest\\w*', 'seduc\\w*', 'spank\\w*', 'genitals?', 'panties',
]);

// Terms that name sexualised minors in themselves: refused in any context.
const MINOR_ABSOLUTE = any(['child porn\\w*', 'cp videos?', 'loli(?:con)?', 'shota(?:con)?', 'jailbait', 'pedo\\w*', 'paedo\\w*', 'underage sex', 'preteen\\w*']);

const MINOR = any([
  'child(?:ren)?', 'kids?', 'little (?:girl|boy)s?', 'schoolgirls?', 'schoolboys?', 'underage', 'under age', 'minors?', 'toddlers?',
  'infants?', 'babies', 'middle school\\w*', 'elementary school\\w*', 'high school (?:girl|boy|student)s?', 'grade schooler',
  '(?:1[0-7]|[1-9]) ?(?:yo|y o|yrs? old|years? old|year old)', '(?:thirteen|fourteen|fifteen|sixteen|seventeen|twelve|eleven|ten) ?years? old',
  '(?:i m|im|i am|you are|you re|u r|ur|she s|he s|she is|he is|they re|they are|be|being|aged?|turned) (?:only |just )?(?:1[0-7]|[1-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)(?! ?(?:am|pm|min|mins|minutes|hours?|days?|weeks?|months?|times|cm|inch|inches|feet|foot|ft|k|percent|dollars|o clock|of))\\b',
  'young teens?', 'early teens?', '(?:13|14|15|16|17) teen',
]);

const NON_CONSENT = any([
  'rap(?:e|ed|es|ing|ist)', 'non ?con(?:sent(?:ual)?)?', 'sexual(?:ly)? assault\\w*', 'against (?:her|his|their|my|your) will',
  'forced (?:her|him|them|me|you) to', 'force (?:her|him|them|me|you)', 'drugg?ed (?:her|him|them|me|you)', 'roofie\\w*',
  'while (?:she|he|they|you|i) (?:is|are|was|were|am) (?:asleep|unconscious|passed out|drunk|sleeping)',
  '(?:unconscious|passed out|asleep|sleeping) (?:girl|boy|woman|man|her|him)', 'does n ?t want it', 'doesn t want it', 'says? no but',
]);

const ANIMAL = any(['bestiality', 'zoophil\\w*', 'dogs?', 'horses?', 'animals?', 'pets?', 'goats?', 'sheep']);
const BESTIALITY_ABSOLUTE = any(['bestiality', 'zoophil\\w*']);

/** Judges one text (a user message or a model reply) against the hard limits. */
export function checkHardLimits(text: string): SafetyVerdict {
  const t = normalise(text);
  const sexual = SEXUAL.test(t);
  if (MINOR_ABSOLUTE.test(t) || (sexual && MINOR.test(t))) return { allowed: false, category: 'minors' };
  if (/\brap(?:e|ed|es|ing|ist)\b|\bsexual(?:ly)? assault/.test(t) || (sexual && NON_CONSENT.test(t))) return { allowed: false, category: 'non_consent' };
  if (BESTIALITY_ABSOLUTE.test(t) || (sexual && ANIMAL.test(t))) return { allowed: false, category: 'bestiality' };
  return { allowed: true, category: null };
}
