import { InvalidPayloadError } from '../../errors.ts';

/*
 * Typed reads of the fields of a parsed Zipkin JSON body (v1 and v2). A value of
 * the wrong JSON type throws a ShapeError naming the field; the decoders prefix the
 * path as the error unwinds (`atPath`) and `asInvalidPayload` turns it into the
 * InvalidPayloadError the receiver answers with (`spans[3].timestamp: expected a
 * number`). No path string is built unless something is wrong. null counts as
 * absent, as in Zipkin.
 */

export type JsonObject = Record<string, unknown>;

/** A value of the wrong JSON type; `path` grows as the error unwinds. */
export class ShapeError extends Error {
  path: string;
  constructor(path: string, detail: string) {
    super(detail);
    this.path = path;
  }
}

/** Prefixes `segment` (a field name or `[i]`) to a ShapeError's path; rethrow the result. */
export function atPath(err: unknown, segment: string): unknown {
  if (err instanceof ShapeError) {
    if (err.path === '') err.path = segment;
    else if (err.path.charCodeAt(0) === 0x5b /* [ */) err.path = segment + err.path;
    else err.path = `${segment}.${err.path}`;
  }
  return err;
}

/** The InvalidPayloadError for a ShapeError (other errors pass through). */
export function asInvalidPayload(err: unknown, format: string): unknown {
  if (!(err instanceof ShapeError)) return err;
  return new InvalidPayloadError([format, `${err.path || 'request body'}: ${err.message}`]);
}

export function asObject(value: unknown): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ShapeError('', 'expected a JSON object');
  }
  return value as JsonObject;
}

export function asArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError('', 'expected a JSON array');
  return value;
}

/** A string field; '' when absent. */
export function stringField(o: JsonObject, key: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  throw new ShapeError(key, `expected a string, got ${typeof v}`);
}

/** A non-negative integer field (µs, ports); 0 when absent. Numeric strings are accepted. */
export function numberField(o: JsonObject, key: string): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) return Math.trunc(v);
  const n = typeof v === 'string' && v !== '' ? Number(v) : NaN;
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER)) {
    throw new ShapeError(key, `expected a non-negative number, got ${JSON.stringify(v)}`);
  }
  return Math.trunc(n);
}

export function boolField(o: JsonObject, key: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  throw new ShapeError(key, `expected true or false, got ${JSON.stringify(v)}`);
}

/** A tag value: a string; numbers and booleans (sent by lax clients) become their text. */
export function tagValue(v: unknown, key: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ShapeError(key, `expected a string tag value, got ${v === null ? 'null' : typeof v}`);
}

/** Parses a JSON body. @throws InvalidPayloadError when it is not JSON. */
export function parseJsonBody(body: Buffer, format: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidPayloadError([format, (err as Error).message], { cause: err });
  }
}
