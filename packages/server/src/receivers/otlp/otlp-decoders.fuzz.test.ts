/**
 * Bounded, seeded fuzzing of both OTLP decoders: whatever the bytes or JSON, a
 * decoder returns a well-formed DecodeResult or throws InvalidPayloadError —
 * never another exception (a TypeError or RangeError would be a 500 or a crash).
 * Seeds are fixed, so a failure reproduces; the failing input is in the message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { InvalidPayloadError } from '../../errors.ts';
import type { DecodeResult } from '../decode-result.ts';
import { decodeOtlpJson } from './otlp-json-decoder.ts';
import { decodeOtlpProto } from './otlp-proto-decoder.ts';
import { encodeOtlpJsonAsProto } from './test-support/reference-otlp.ts';

const ITERATIONS = 2000;
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

/** mulberry32: a small seeded PRNG, so every run tries the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function int(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/**
 * Checks the outcome of one decode; true when it decoded, false when it threw
 * InvalidPayloadError. `describeInput` is only called on failure.
 */
function assertWellBehaved(decode: () => DecodeResult, describeInput: () => string): boolean {
  let result: DecodeResult;
  try {
    result = decode();
  } catch (err) {
    if (err instanceof InvalidPayloadError) return false;
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

const jsonFixtures = readdirSync(new URL('jaeger-storage/traces/', FIXTURES))
  .filter((f) => f.endsWith('.json'))
  .map(
    (f) =>
      JSON.parse(readFileSync(new URL(`jaeger-storage/traces/${f}`, FIXTURES), 'utf8')) as object,
  );
jsonFixtures.push(
  JSON.parse(readFileSync(new URL('otlp/exporter-http.json', FIXTURES), 'utf8')) as object,
);

const protoSeeds: Uint8Array[] = [
  readFileSync(new URL('otlp/exporter-proto.bin', FIXTURES)),
  readFileSync(new URL('otlp/exporter-grpc.bin', FIXTURES)),
  ...jsonFixtures.slice(0, 8).map((j) => encodeOtlpJsonAsProto(j)),
];

function hex(bytes: Uint8Array): string {
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

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
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

const RANDOM_JSON_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 64,
  -(2 ** 63),
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x',
  'NaN',
  '-Infinity',
  '12345678901234567890123',
  '-0',
  '0'.repeat(32),
  'ZZ',
  'SPAN_KIND_SERVER',
  'STATUS_CODE_ERROR',
  '3q2+7w==',
  [],
  [null],
  [{}],
  {},
  { stringValue: 'v' },
  { intValue: '9223372036854775808' },
  { arrayValue: { values: [{ kvlistValue: { values: [{ key: 'k' }] } }] } },
  { kvlistValue: null },
  { values: 'x' },
];

function mutateJson(value: unknown, random: () => number, depth = 0): unknown {
  if (random() < 0.03 || depth > 12) {
    return structuredClone(RANDOM_JSON_VALUES[int(random, RANDOM_JSON_VALUES.length)]);
  }
  if (Array.isArray(value)) {
    const out = value.map((v) => mutateJson(v, random, depth + 1));
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
      out[key] = mutateJson(v, random, depth + 1);
    }
    return out;
  }
  return value;
}

describe('OTLP decoders under fuzzing', () => {
  test(`decodeOtlpProto: ${ITERATIONS} mutated real payloads`, () => {
    const random = prng(0x5eed);
    let decoded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutate(protoSeeds[i % protoSeeds.length], random);
      const ok = assertWellBehaved(
        () => decodeOtlpProto(input),
        () => `iteration ${i}: ${hex(input)}`,
      );
      if (ok) decoded++;
    }
    // Both outcomes must be exercised, or the mutations are too weak or too strong.
    assert.ok(decoded > 50 && decoded < ITERATIONS - 50, `${decoded} of ${ITERATIONS} decoded`);
  });

  test(`decodeOtlpProto: ${ITERATIONS} random byte strings`, () => {
    const random = prng(0xb17e5);
    for (let i = 0; i < ITERATIONS; i++) {
      const input = new Uint8Array(int(random, 300));
      for (let j = 0; j < input.length; j++) input[j] = int(random, 256);
      assertWellBehaved(
        () => decodeOtlpProto(input),
        () => `iteration ${i}: ${hex(input)}`,
      );
    }
  });

  test(`decodeOtlpJson: ${ITERATIONS} mutated JSON requests`, () => {
    const random = prng(0x15011);
    let decoded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutateJson(jsonFixtures[i % jsonFixtures.length], random);
      const ok = assertWellBehaved(
        () => decodeOtlpJson(input),
        () => `iteration ${i}: ${JSON.stringify(input)}`,
      );
      if (ok) decoded++;
    }
    assert.ok(decoded > 50 && decoded < ITERATIONS - 50, `${decoded} of ${ITERATIONS} decoded`);
  });
});
