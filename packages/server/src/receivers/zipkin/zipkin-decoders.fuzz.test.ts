/**
 * Bounded, seeded fuzzing of the Zipkin decoders (JSON v2, JSON v1, protobuf,
 * thrift v1) and of the receiver's answers: whatever the body, a decoder returns a
 * well-formed DecodeResult or throws InvalidPayloadError, and the receiver answers
 * 202 or 400 with a message, never 500 and never a dropped connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidPayloadError } from '../../errors.ts';
import {
  assertWellBehaved,
  hex,
  int,
  mutateBytes,
  mutateJson,
  prng,
} from '../test-support/fuzz.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import type { StartedReceiver } from '../test-support/started-receiver.ts';
import {
  encodeZipkinProtoReference,
  sampleZipkinV2Spans,
  v1JsonPayload,
  v1ThriftPayload,
} from './test-support/zipkin-payloads.ts';
import { decodeZipkinJsonV1 } from './zipkin-json-v1-decoder.ts';
import { decodeZipkinJsonV2 } from './zipkin-json-v2-decoder.ts';
import { decodeZipkinProto } from './zipkin-proto-decoder.ts';
import { ZipkinReceiver } from './zipkin-receiver.ts';
import { decodeZipkinThrift } from './zipkin-thrift-decoder.ts';

const ITERATIONS = 2000;
const T0 = 1_700_000_000_000_000;

const RANDOM_JSON_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 64,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x',
  '0'.repeat(16),
  '0'.repeat(33),
  'ZZZZZZZZZZZZZZZZ',
  'SERVER',
  'I64',
  'BYTES',
  '-5',
  '3q2+7w==',
  [],
  [null],
  [{}],
  {},
  { serviceName: 1 },
  { timestamp: 'x', value: 3 },
  { key: 'k', value: { a: 1 }, type: 'STRING' },
];

const v2Seeds = [sampleZipkinV2Spans(T0), JSON.parse(JSON.stringify(sampleZipkinV2Spans(T0 + 5)))];
const v1Seeds = [JSON.parse(v1JsonPayload('1111111111111111', T0)) as unknown];
let protoSeeds: Uint8Array[] = [];
const thriftSeeds = [
  v1ThriftPayload('2222222222222222', T0),
  v1ThriftPayload('abcdef0123456789', T0),
];

function fuzzJson(name: string, seeds: unknown[], decode: (v: unknown) => unknown, seed: number) {
  test(`${name}: ${ITERATIONS} mutated payloads`, () => {
    const random = prng(seed);
    let decoded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutateJson(seeds[i % seeds.length], random, RANDOM_JSON_VALUES);
      const ok = assertWellBehaved(
        () => decode(input) as ReturnType<typeof decodeZipkinJsonV2>,
        () => `iteration ${i}: ${JSON.stringify(input)}`,
      );
      if (ok) decoded++;
    }
    assert.ok(decoded > 50 && decoded < ITERATIONS - 50, `${decoded} of ${ITERATIONS} decoded`);
  });
}

function fuzzBytes(
  name: string,
  seeds: () => Uint8Array[],
  decode: (b: Uint8Array) => unknown,
  seed: number,
) {
  test(`${name}: ${ITERATIONS} mutated payloads`, () => {
    const random = prng(seed);
    let decoded = 0;
    const list = seeds();
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutateBytes(list[i % list.length], random);
      const ok = assertWellBehaved(
        () => decode(input) as ReturnType<typeof decodeZipkinProto>,
        () => `iteration ${i}: ${hex(input)}`,
      );
      if (ok) decoded++;
    }
    assert.ok(decoded > 20 && decoded < ITERATIONS - 50, `${decoded} of ${ITERATIONS} decoded`);
  });

  test(`${name}: ${ITERATIONS} random byte strings`, () => {
    const random = prng(seed ^ 0xffff);
    for (let i = 0; i < ITERATIONS; i++) {
      const input = new Uint8Array(int(random, 300));
      for (let j = 0; j < input.length; j++) input[j] = int(random, 256);
      assertWellBehaved(
        () => decode(input) as ReturnType<typeof decodeZipkinProto>,
        () => `iteration ${i}: ${hex(input)}`,
      );
    }
  });
}

describe('Zipkin decoders under fuzzing', () => {
  before(async () => {
    protoSeeds = [
      await encodeZipkinProtoReference(sampleZipkinV2Spans(T0)),
      await encodeZipkinProtoReference(sampleZipkinV2Spans(T0).slice(1, 2)),
    ];
  });

  fuzzJson('decodeZipkinJsonV2', v2Seeds, decodeZipkinJsonV2, 0x2b2);
  fuzzJson('decodeZipkinJsonV1', v1Seeds, decodeZipkinJsonV1, 0x1b1);
  fuzzBytes('decodeZipkinProto', () => protoSeeds, decodeZipkinProto, 0x9b0);
  fuzzBytes('decodeZipkinThrift', () => thriftSeeds, decodeZipkinThrift, 0x7f7);

  test('a 2 GB length in a 100-byte body is refused without allocating it', () => {
    // ListOfSpans.spans with length 0x7fffffff, then filler.
    const proto = new Uint8Array(100);
    proto.set([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07]);
    assert.throws(() => decodeZipkinProto(proto), InvalidPayloadError);
    // list<Span> of 0x7fffffff structs.
    const thrift = new Uint8Array(100);
    thrift.set([0x0c, 0x7f, 0xff, 0xff, 0xff]);
    assert.throws(() => decodeZipkinThrift(thrift), InvalidPayloadError);
    // A binary annotation value claiming 2 GB.
    const seed = Buffer.from(thriftSeeds[0]);
    const at = seed.indexOf(Buffer.from('count'));
    const big = Buffer.concat([
      seed.subarray(0, at + 5),
      Buffer.from([0x0b, 0x00, 0x02, 0x7f, 0xff, 0xff, 0xff]),
    ]);
    assert.throws(() => decodeZipkinThrift(big), InvalidPayloadError);
  });
});

describe('Zipkin receiver under fuzzing', () => {
  let endpoint: StartedReceiver<ZipkinReceiver>;
  let base = '';

  before(async () => {
    endpoint = await startReceiver(ZipkinReceiver);
    base = `http://127.0.0.1:${endpoint.port}`;
  });
  after(() => endpoint.close());

  test('garbage and mutated bodies get 202 or 400 with a message', async () => {
    const random = prng(0x4040);
    const targets = [
      [
        '/api/v2/spans',
        'application/json',
        () => Buffer.from(JSON.stringify(mutateJson(v2Seeds[0], random, RANDOM_JSON_VALUES)) ?? ''),
      ],
      [
        '/api/v1/spans',
        'application/json',
        () => Buffer.from(JSON.stringify(mutateJson(v1Seeds[0], random, RANDOM_JSON_VALUES)) ?? ''),
      ],
      ['/api/v2/spans', 'application/x-protobuf', () => mutateBytes(protoSeeds[0], random)],
      ['/api/v1/spans', 'application/x-thrift', () => mutateBytes(thriftSeeds[0], random)],
    ] as const;
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const [path, type, make] = targets[i % targets.length];
      const body =
        i % 8 < 4 ? make() : Uint8Array.from({ length: int(random, 200) }, () => int(random, 256));
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      const text = await res.text();
      seen.add(res.status);
      if (res.status === 400)
        assert.match(text, /cannot decode Zipkin|has an all-zero/, `${path} ${type} ${hex(body)}`);
      else assert.equal(res.status, 202, `${path} ${type} ${hex(body)}: ${res.status} ${text}`);
    }
    assert.deepEqual([...seen].sort(), [202, 400]);
  });
});
