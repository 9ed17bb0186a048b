/**
 * HTML bytes → text. The charset comes from, in order: a byte order mark, the Content-Type header,
 * a <meta charset> (or http-equiv) within the first 1024 bytes, then UTF-8. Unknown labels and
 * invalid bytes fall back rather than fail: a page with one bad byte is still worth reading.
 */
export function decodeHtml(body: Buffer, contentTypeHeader: string | undefined): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return decode(body.subarray(3), 'utf-8');
  if (body[0] === 0xff && body[1] === 0xfe) return decode(body.subarray(2), 'utf-16le');
  if (body[0] === 0xfe && body[1] === 0xff) return decode(body.subarray(2), 'utf-16be');
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentTypeHeader ?? '')?.[1];
  const head = body.subarray(0, 1024).toString('latin1');
  const fromMeta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  return decode(body, fromHeader ?? fromMeta ?? 'utf-8');
}

function decode(bytes: Buffer, label: string): string {
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    // An unknown label (TextDecoder throws RangeError): UTF-8 is the web's default.
    return new TextDecoder('utf-8').decode(bytes);
  }
}
