/**
 * Bytes → string for the text formats. UTF-8 is required (with or without a BOM); UTF-16 is
 * accepted only with its BOM, since without one it cannot be told from binary data.
 */
export function decodeText(bytes: Uint8Array): string | null {
  const [b0, b1, b2] = bytes;
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return decode('utf-8', bytes.subarray(3));
  if (b0 === 0xff && b1 === 0xfe) return decode('utf-16le', bytes.subarray(2));
  if (b0 === 0xfe && b1 === 0xff) return decode('utf-16be', bytes.subarray(2));
  const text = decode('utf-8', bytes);
  // Valid UTF-8 can still be binary (a file of NULs is valid UTF-8); text never holds NUL.
  return text === null || text.includes('\u0000') ? null : text;
}

function decode(encoding: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** True when the bytes look like binary data rather than text in a foreign encoding. */
export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  }
  return control > sample.length * 0.1;
}

/**
 * One newline convention, no control characters, no trailing spaces, at most one blank line in a
 * row: the chunker splits on blank lines, so runs of them must mean one paragraph break.
 */
export function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
