import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { BodyTooLargeError, InvalidPayloadError, UnsupportedEncodingError } from '../errors.ts';

/*
 * Request-body handling shared by the HTTP receivers (OTLP/HTTP, Zipkin): the same
 * limits, the same gzip rules and the same coded errors, so every port answers a
 * too-large or badly encoded body alike (413, 415, 400).
 */

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** The media type of a Content-Type header, lowercase, without parameters ('' when absent). */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Whether the body is gzip-compressed, from Content-Encoding.
 * @throws UnsupportedEncodingError for anything but identity or gzip.
 */
export function isGzipEncoded(req: IncomingMessage): boolean {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return false;
  if (encoding === 'gzip') return true;
  throw new UnsupportedEncodingError([encoding]);
}

/** True when the declared Content-Length already exceeds `limit` (the body need not be read). */
export function declaresTooLarge(req: IncomingMessage, limit: number): boolean {
  return Number(req.headers['content-length'] ?? -1) > limit;
}

/**
 * Reads a request body of at most `limit` bytes. Rejects with BodyTooLargeError
 * past the limit (and stops reading), or with the stream error if the client
 * goes away.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLargeError([limit]));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length));
    });
    req.once('error', reject);
    // A client that disconnects mid-body closes the request without 'error'.
    req.once('close', () => {
      if (!req.complete) reject(new Error('client closed the connection mid-body'));
    });
  });
}

/**
 * Decompresses a gzip body to at most `limit` bytes.
 * @throws BodyTooLargeError past the limit, InvalidPayloadError when it is not gzip.
 */
export async function gunzipBody(raw: Buffer, limit: number): Promise<Buffer> {
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyTooLargeError([limit], { cause: err });
    }
    throw new InvalidPayloadError(['gzip', (err as Error).message], { cause: err });
  }
}

/** A body's Content-Encoding where gzip and deflate are both taken. */
export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/**
 * The body's coding, from Content-Encoding, where deflate (zlib) is accepted too.
 * @throws UnsupportedEncodingError for anything but identity, gzip or deflate.
 */
export function contentCoding(req: IncomingMessage): ContentCoding {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return 'identity';
  if (encoding === 'gzip' || encoding === 'x-gzip') return 'gzip';
  if (encoding === 'deflate') return 'deflate';
  throw new UnsupportedEncodingError([encoding]);
}

/**
 * Decompresses a deflate (zlib, RFC 1950) body to at most `limit` bytes.
 * @throws BodyTooLargeError past the limit, InvalidPayloadError when it is not deflate.
 */
export async function inflateBody(raw: Buffer, limit: number): Promise<Buffer> {
  try {
    return await inflateAsync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyTooLargeError([limit], { cause: err });
    }
    throw new InvalidPayloadError(['deflate', (err as Error).message], { cause: err });
  }
}

/** Reads the body (at most `limit` bytes, before and after decompression) and decodes its coding. */
export async function readDecodedBody(
  req: IncomingMessage,
  coding: ContentCoding,
  limit: number,
): Promise<Buffer> {
  if (declaresTooLarge(req, limit)) throw new BodyTooLargeError([limit]);
  const raw = await readBody(req, limit);
  if (coding === 'gzip') return gunzipBody(raw, limit);
  if (coding === 'deflate') return inflateBody(raw, limit);
  return raw;
}
