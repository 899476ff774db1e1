/**
 * Bounded, seeded fuzzing of the span-batch decoder: whatever the bytes, it
 * returns spans or throws CorruptBatchError, never another exception (a
 * TypeError or RangeError would crash a WAL replay or a NATS consumer). Seeds
 * are fixed, so a failure reproduces; the failing input is in the message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CorruptBatchError } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import { decodeOtlpProto } from '../../receivers/otlp/otlp-proto-decoder.ts';
import { hex, int, mutateBytes, prng } from '../../receivers/test-support/fuzz.ts';
import { fullFidelitySpan } from '../../storage/conformance/test-spans.ts';
import { makeTestSpans } from '../../pipeline/test-support/test-spans.ts';
import { decodeSpanBatch, encodeSpanBatch } from './index.ts';

const ITERATIONS = 3000;
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

const seeds: Uint8Array[] = [
  encodeSpanBatch([fullFidelitySpan('0af7651916cd43dd8448eb211c80319c', 1_700_000_000_000_000)]),
  encodeSpanBatch(makeTestSpans(20)),
  encodeSpanBatch(
    decodeOtlpProto(readFileSync(new URL('otlp/exporter-proto.bin', FIXTURES))).spans,
  ),
];

/** True when it decoded; false when it threw CorruptBatchError; fails on anything else. */
function wellBehaved(input: Uint8Array, what: string): boolean {
  let spans: Span[];
  try {
    spans = decodeSpanBatch(input);
  } catch (err) {
    if (err instanceof CorruptBatchError) return false;
    assert.fail(`threw ${String(err)} (not CorruptBatchError) for ${what}: ${hex(input)}`);
  }
  assert.ok(Array.isArray(spans));
  // What decodes must encode again to the same spans (no half-built objects).
  assert.deepStrictEqual(decodeSpanBatch(encodeSpanBatch(spans)), spans, what);
  return true;
}

describe('span-batch decoder under fuzzing', () => {
  test(`${ITERATIONS} mutated encoded batches`, () => {
    const random = prng(0xba7c4);
    let decoded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutateBytes(seeds[i % seeds.length], random);
      if (wellBehaved(input, `iteration ${i}`)) decoded++;
    }
    // Both outcomes must be exercised, or the mutations are too weak or too strong.
    assert.ok(decoded > 30 && decoded < ITERATIONS - 30, `${decoded} of ${ITERATIONS} decoded`);
  });

  test(`${ITERATIONS} random byte strings behind a valid header`, () => {
    const random = prng(0xf022);
    for (let i = 0; i < ITERATIONS; i++) {
      const input = new Uint8Array(4 + int(random, 300));
      input.set([0x53, 0x4b, 0x42, 1]);
      for (let j = 4; j < input.length; j++) input[j] = int(random, 256);
      wellBehaved(input, `iteration ${i}`);
    }
  });

  test('deeply nested values are refused, not a stack overflow', () => {
    // header, 1 span: flags (same trace, span id as str), "x", kind/status, flags 0,
    // name "", start 0, duration 0, 1 attribute "k" holding 100k nested arrays.
    const nested = new Uint8Array(100_000 * 2).fill(0);
    for (let i = 0; i < nested.length; i += 2) {
      nested[i] = 7; // Array tag
      nested[i + 1] = 1; // one element
    }
    const head = [0x53, 0x4b, 0x42, 1, 1, 1, 5, 0x78, 0, 0, 1, 0, 0, 1, 5, 0x6b];
    const input = new Uint8Array(head.length + nested.length);
    input.set(head);
    input.set(nested, head.length);
    assert.throws(() => decodeSpanBatch(input), /nested too deep/);
  });
});
