/**
 * Bounded, seeded fuzzing of both OTLP decoders: whatever the bytes or JSON, a
 * decoder returns a well-formed DecodeResult or throws InvalidPayloadError —
 * never another exception (a TypeError or RangeError would be a 500 or a crash).
 * Seeds are fixed, so a failure reproduces; the failing input is in the message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  assertWellBehaved,
  hex,
  int,
  mutateBytes,
  mutateJson,
  prng,
} from '../test-support/fuzz.ts';
import { decodeOtlpJson } from './otlp-json-decoder.ts';
import { decodeOtlpProto } from './otlp-proto-decoder.ts';
import { encodeOtlpJsonAsProto } from './test-support/reference-otlp.ts';

const ITERATIONS = 2000;
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

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

describe('OTLP decoders under fuzzing', () => {
  test(`decodeOtlpProto: ${ITERATIONS} mutated real payloads`, () => {
    const random = prng(0x5eed);
    let decoded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutateBytes(protoSeeds[i % protoSeeds.length], random);
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
      const input = mutateJson(jsonFixtures[i % jsonFixtures.length], random, RANDOM_JSON_VALUES);
      const ok = assertWellBehaved(
        () => decodeOtlpJson(input),
        () => `iteration ${i}: ${JSON.stringify(input)}`,
      );
      if (ok) decoded++;
    }
    assert.ok(decoded > 50 && decoded < ITERATIONS - 50, `${decoded} of ${ITERATIONS} decoded`);
  });
});
