/**
 * Bounded, seeded fuzzing of the two thrift readers on their own: skipping a
 * struct of mutated or random bytes either consumes it or throws
 * InvalidPayloadError, never another exception, in bounded time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertWellBehaved, hex, int, mutateBytes, prng } from '../test-support/fuzz.ts';
import { ThriftBinaryReader } from './thrift-binary-reader.ts';
import { ThriftCompactReader } from './thrift-compact-reader.ts';
import { ThriftType as T } from './thrift-type.ts';
import { apacheEncode } from './test-support/apache-thrift-encoder.ts';
import type { ThriftProtocol, ThriftValue } from './test-support/thrift-writer.ts';

const ITERATIONS = 3000;

const seedValue: ThriftValue = {
  struct: [
    [1, T.Bool, true],
    [2, T.Byte, 7],
    [3, T.I16, -300],
    [4, T.I32, 1 << 30],
    [5, T.I64, -(2n ** 62n)],
    [6, T.Double, 3.5],
    [7, T.String, 'a string of some length'],
    [8, T.List, { list: [1n, 2n, 3n], elemType: T.I64 }],
    [9, T.List, { list: [true, false], elemType: T.Bool }],
    [
      10,
      T.Map,
      { map: [['k', { struct: [[1, T.String, 'v']] }]], keyType: T.String, valueType: T.Struct },
    ],
    [11, T.Struct, { struct: [[1, T.List, { list: [{ struct: [] }], elemType: T.Struct }]] }],
  ],
};

function skipStruct(protocol: ThriftProtocol, input: Uint8Array) {
  const r =
    protocol === 'binary'
      ? new ThriftBinaryReader(input, 'fuzz')
      : new ThriftCompactReader(input, 'fuzz');
  r.skip(T.Struct);
  return { spans: [], rejectedSpans: 0, errorMessage: '' };
}

describe('thrift readers under fuzzing', () => {
  for (const protocol of ['binary', 'compact'] as const) {
    test(`${protocol}: ${ITERATIONS} mutated structs and ${ITERATIONS} random byte strings`, () => {
      const seed = apacheEncode(protocol, T.Struct, seedValue);
      const random = prng(protocol === 'binary' ? 0xb1 : 0xc0);
      let decoded = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const input = mutateBytes(seed, random);
        const ok = assertWellBehaved(
          () => skipStruct(protocol, input),
          () => `iteration ${i}: ${hex(input)}`,
        );
        if (ok) decoded++;
      }
      assert.ok(decoded > 20 && decoded < ITERATIONS - 20, `${decoded} of ${ITERATIONS} read`);
      for (let i = 0; i < ITERATIONS; i++) {
        const input = new Uint8Array(int(random, 200));
        for (let j = 0; j < input.length; j++) input[j] = int(random, 256);
        assertWellBehaved(
          () => skipStruct(protocol, input),
          () => `random ${i}: ${hex(input)}`,
        );
      }
    });
  }
});
