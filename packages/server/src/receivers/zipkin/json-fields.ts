import { InvalidPayloadError } from '../../errors.ts';
import type { SkeinError } from '../../errors.ts';

/*
 * Typed reads of the fields of a parsed Zipkin JSON body (v1 and v2). A value of
 * the wrong JSON type throws InvalidPayloadError naming the span and field
 * (`spans[3].timestamp: expected a number`); null counts as absent, as in Zipkin.
 */

export type JsonObject = Record<string, unknown>;

export function shapeError(format: string, where: string, detail: string): SkeinError {
  return new InvalidPayloadError([format, `${where}: ${detail}`]);
}

export function asObject(value: unknown, format: string, where: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw shapeError(format, where, 'expected a JSON object');
  }
  return value as JsonObject;
}

export function asArray(value: unknown, format: string, where: string): unknown[] {
  if (!Array.isArray(value)) throw shapeError(format, where, 'expected a JSON array');
  return value;
}

/** A string field; '' when absent. Numbers are accepted for ids some clients send unquoted. */
export function stringField(o: JsonObject, key: string, format: string, where: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  throw shapeError(format, `${where}.${key}`, `expected a string, got ${typeof v}`);
}

/** A non-negative integer field (µs, ports); 0 when absent. Numeric strings are accepted. */
export function numberField(o: JsonObject, key: string, format: string, where: string): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && v !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw shapeError(
      format,
      `${where}.${key}`,
      `expected a non-negative number, got ${JSON.stringify(v)}`,
    );
  }
  return Math.trunc(n);
}

export function boolField(o: JsonObject, key: string, format: string, where: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  throw shapeError(format, `${where}.${key}`, `expected true or false, got ${JSON.stringify(v)}`);
}

/** A tag value: a string; numbers and booleans (sent by lax clients) become their text. */
export function tagValue(v: unknown, format: string, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw shapeError(
    format,
    where,
    `expected a string tag value, got ${v === null ? 'null' : typeof v}`,
  );
}

/** Parses a JSON body. @throws InvalidPayloadError when it is not JSON. */
export function parseJsonBody(body: Buffer, format: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidPayloadError([format, (err as Error).message], { cause: err });
  }
}
