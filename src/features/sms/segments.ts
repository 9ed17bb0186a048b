/**
 * How many SMS parts a text costs. Carriers bill per part, and a single character outside the GSM-7
 * alphabet (an emoji, a curly quote) switches the whole message to UCS-2, cutting a part from 160 to
 * 70 characters: the count is stored with every message so the API shows what a send really costs.
 */

/** GSM 03.38 basic character set (escape excluded): one septet each. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: each is sent as escape + character, two septets. */
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
}

/** Single-part limit and per-part limit once the message is concatenated (the UDH takes the rest). */
const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

/**
 * Counts parts the way handsets and providers split: greedily, never cutting an escape pair (GSM-7)
 * or a surrogate pair (UCS-2) across two parts, so a long text of extension characters or emoji can
 * need one part more than units / limit. An empty text (media only) still counts as one part.
 */
export function countSegments(text: string): SegmentCount {
  const chars = [...text]; // code points: an emoji is one element of 2 UTF-16 units
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c));
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  const costs = chars.map((c) => (gsm ? (GSM_EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = costs.reduce((a, b) => a + b, 0);
  const { single, part } = LIMITS[encoding];
  if (units <= single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > part) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, segments, units };
}
