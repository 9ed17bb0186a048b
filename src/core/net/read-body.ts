import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type InputType, type ZlibOptions } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { FetchError, FetchTooLargeError } from './fetch-errors.js';
import { ownEntry } from '../own-entry.js';

type Body = Dispatcher.ResponseData['body'];

/** Drops a body we will not read. undici reports its own destruction as an 'error' event, which nobody needs. */
export function discardBody(body: Body): void {
  body.on('error', () => {});
  body.destroy();
}

/**
 * Reads at most `limit` bytes, destroying the stream (and so the connection) the moment the limit
 * is passed: a huge or endless body costs no more than the limit. A declared Content-Length over
 * the limit is refused before any byte is read.
 */
export async function readLimitedBody(body: Body, headers: Record<string, string>, limit: number, url: string): Promise<Buffer> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardBody(body);
    throw new FetchTooLargeError(url, limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      discardBody(body);
      throw new FetchTooLargeError(url, limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

type Decoder = (input: InputType, options: ZlibOptions) => Promise<Buffer>;
const decoders: Record<string, Decoder> = {
  gzip: promisify(gunzip) as Decoder,
  'x-gzip': promisify(gunzip) as Decoder,
  br: promisify(brotliDecompress) as Decoder,
  deflate: async (input, options) => {
    // "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
    try {
      return await (promisify(inflate) as Decoder)(input, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
      return (promisify(inflateRaw) as Decoder)(input, options);
    }
  },
};

/** Undoes Content-Encoding with the same limit on the decoded size, so a compression bomb is refused. */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, limit: number, url: string): Promise<Buffer> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  let out = raw;
  for (const coding of codings.reverse()) {
    const decode = ownEntry(decoders, coding);
    if (!decode) throw new FetchError(`The response from ${url} uses an unsupported content encoding (${coding}).`, url);
    try {
      out = await decode(out, { maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new FetchTooLargeError(url, limit);
      throw new FetchError(`The response from ${url} could not be decompressed (${coding}).`, url, { cause: err });
    }
  }
  return out;
}
