/**
 * Reads a ZIP's central directory (names and declared sizes) without inflating anything, so a
 * DOCX can be recognised and a decompression bomb refused before any parser unpacks it.
 */
export interface ZipEntry {
  name: string;
  compressedSize: number;
  /** Infinity for ZIP64 entries: far beyond any DOCX limit, so treat them as too large. */
  uncompressedSize: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const ZIP64_MARKER = 0xffffffff;

/** The entries, or null when the bytes have no readable ZIP directory. */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of up to 65,535 bytes, at the very end.
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  let end = -1;
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) return null;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (at === ZIP64_MARKER || at >= end) return null;
  const entries: ZipEntry[] = [];
  const names = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== DIRECTORY_ENTRY) return null;
    const compressed = view.getUint32(at + 20, true);
    const uncompressed = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > end) return null;
    entries.push({
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      compressedSize: compressed,
      uncompressedSize: uncompressed === ZIP64_MARKER || compressed === ZIP64_MARKER ? Infinity : uncompressed,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export const isWordDocument = (entries: ZipEntry[]) => entries.some((entry) => entry.name === 'word/document.xml');
