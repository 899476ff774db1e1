import assert from 'node:assert/strict';
import { InvalidPayloadError, ZeroIdError } from '../../errors.ts';
import type { DecodeResult } from '../decode-result.ts';

/*
 * Helpers for the bounded, seeded decoder fuzz tests of every receiver: a seeded
 * PRNG (a failure reproduces), byte and JSON mutators, and the check that a decoder
 * either returns a well-formed DecodeResult or throws InvalidPayloadError.
 */

/** mulberry32: a small seeded PRNG, so every run tries the same inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/**
 * Checks the outcome of one decode; true when it decoded, false when it threw
 * InvalidPayloadError (or ZeroIdError, Zipkin's other refusal of a whole body).
 * `describeInput` is only called on failure.
 */
export function assertWellBehaved(
  decode: () => DecodeResult,
  describeInput: () => string,
): boolean {
  let result: DecodeResult;
  try {
    result = decode();
  } catch (err) {
    if (err instanceof InvalidPayloadError || err instanceof ZeroIdError) return false;
    assert.fail(`threw ${String(err)} (not InvalidPayloadError) for ${describeInput()}`);
  }
  assert.ok(Array.isArray(result.spans), describeInput());
  assert.ok(Number.isInteger(result.rejectedSpans) && result.rejectedSpans >= 0);
  assert.equal(result.errorMessage === '', result.rejectedSpans === 0, describeInput());
  for (const span of result.spans) {
    if (!/^[0-9a-f]{32}$/.test(span.traceId) || !/^[0-9a-f]{16}$/.test(span.spanId)) {
      assert.fail(`bad ids ${span.traceId}/${span.spanId} accepted for ${describeInput()}`);
    }
    assert.ok(span.duration >= 0, describeInput());
  }
  return true;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A varint that announces a huge length (2^31 .. 2^63). */
function hugeLength(random: () => number): number[] {
  const bytes = 5 + int(random, 6);
  const out: number[] = [];
  for (let i = 0; i < bytes - 1; i++) out.push(0x80 | int(random, 128));
  out.push(1 + int(random, 127));
  return out;
}

/** Up to four random byte-level mutations of `seed` (a copy). */
export function mutateBytes(seed: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(seed);
  const mutations = 1 + int(random, 4);
  for (let m = 0; m < mutations && bytes.length > 0; m++) {
    const at = int(random, bytes.length);
    switch (int(random, 7)) {
      case 0: // bit flip
        bytes[at] ^= 1 << int(random, 8);
        break;
      case 1: // truncation
        bytes.length = at;
        break;
      case 2: // inserted random bytes
        bytes.splice(at, 0, ...Array.from({ length: 1 + int(random, 8) }, () => int(random, 256)));
        break;
      case 3: // a huge length prefix over whatever was there
        bytes.splice(at, 1, ...hugeLength(random));
        break;
      case 4: // deleted range
        bytes.splice(at, 1 + int(random, 16));
        break;
      case 5: // duplicated range (repeated fields, overlapping messages)
        bytes.splice(at, 0, ...bytes.slice(at, at + 1 + int(random, 64)));
        break;
      default: // a random byte
        bytes[at] = int(random, 256);
    }
  }
  return new Uint8Array(bytes);
}

/**
 * A JSON value with random changes: values replaced by one of `randomValues`, array
 * elements duplicated or dropped, fields dropped or renamed (snake_case, unknown).
 */
export function mutateJson(
  value: unknown,
  random: () => number,
  randomValues: readonly unknown[],
  depth = 0,
): unknown {
  if (random() < 0.03 || depth > 12) {
    return structuredClone(randomValues[int(random, randomValues.length)]);
  }
  if (Array.isArray(value)) {
    const out = value.map((v) => mutateJson(v, random, randomValues, depth + 1));
    if (random() < 0.05) out.push(structuredClone(out[int(random, out.length)] ?? null));
    if (random() < 0.05) out.splice(int(random, out.length + 1), 1);
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const roll = random();
      if (roll < 0.03) continue; // dropped field
      // renamed to its proto (snake_case) name, or to something unknown
      const key =
        roll < 0.06 ? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : roll < 0.07 ? `${k}X` : k;
      out[key] = mutateJson(v, random, randomValues, depth + 1);
    }
    return out;
  }
  return value;
}
