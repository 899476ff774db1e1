/**
 * Bounded, seeded fuzzing of the Jaeger decoders (thrift Batch over HTTP, agent
 * packets in both thrift protocols, api_v2 protobuf) and of the HTTP endpoint:
 * whatever the bytes, a decoder returns a well-formed DecodeResult or throws
 * InvalidPayloadError, and the endpoint answers 202 or 400 with a message. Seeds
 * include what the real jaeger-client sends; a failure names its input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertWellBehaved, hex, int, mutateBytes, prng } from '../test-support/fuzz.ts';
import { rawRequest } from '../test-support/raw-http.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import type { StartedReceiver } from '../test-support/started-receiver.ts';
import { ThriftMessageType, ThriftType as T } from '../thrift/thrift-type.ts';
import { apacheEncodeMessage } from '../thrift/test-support/apache-thrift-encoder.ts';
import { encodeThriftMessage } from '../thrift/test-support/thrift-writer.ts';
import type { DecodeResult } from '../decode-result.ts';
import { decodeAgentPacket } from './jaeger-agent-decoder.ts';
import { decodePostSpansRequest } from './jaeger-proto-decoder.ts';
import { decodeJaegerThriftBatch } from './jaeger-thrift-decoder.ts';
import { JaegerThriftHttpReceiver } from './jaeger-thrift-http-receiver.ts';
import { encodePostSpansRequest, samplePostSpansRequest } from './test-support/jaeger-api-v2.ts';
import { captureJaegerClientPayloads } from './test-support/capture-jaeger-client.ts';
import type { ClientPayloads } from './test-support/capture-jaeger-client.ts';
import {
  batchValue,
  encodeBatch,
  encodeEmitBatch,
  sampleBatch,
} from './test-support/jaeger-thrift-payloads.ts';

const ITERATIONS = 2000;
const HTTP_ITERATIONS = 200;

/** Also plants big-endian i32 lengths (binary thrift strings, lists) of up to 2 GB. */
function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  const bytes = mutateBytes(seed, random);
  if (random() >= 0.25 || bytes.length < 4) return bytes;
  const at = int(random, bytes.length - 3);
  const length = 0x7fffffff - int(random, 0x10000);
  bytes[at] = length >>> 24;
  bytes[at + 1] = (length >>> 16) & 0xff;
  bytes[at + 2] = (length >>> 8) & 0xff;
  bytes[at + 3] = length & 0xff;
  return bytes;
}

function zipkinPacket(): Buffer {
  const endpoint = { struct: [[3, T.String, 'zipkin-svc']] as Array<[number, number, string]> };
  const span = {
    struct: [
      [1, T.I64, 0x77n],
      [3, T.String, 'get'],
      [4, T.I64, 0x78n],
      [
        6,
        T.List,
        {
          list: [
            {
              struct: [
                [1, T.I64, 1_700_000_000_000_000n],
                [2, T.String, 'sr'],
                [3, T.Struct, endpoint],
              ],
            },
          ],
          elemType: T.Struct,
        },
      ],
      [10, T.I64, 1_700_000_000_000_000n],
      [11, T.I64, 5n],
    ],
  };
  return encodeThriftMessage('compact', 'emitZipkinBatch', ThriftMessageType.Oneway, 1, [
    [1, T.List, { list: [span as never], elemType: T.Struct }],
  ]);
}

/** Runs `decode` over mutated seeds; both outcomes must occur. */
function fuzzMutated(
  seeds: Uint8Array[],
  seed: number,
  decode: (input: Uint8Array) => DecodeResult,
): void {
  const random = prng(seed);
  let decoded = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = mutate(seeds[i % seeds.length], random);
    if (
      assertWellBehaved(
        () => decode(input),
        () => `iteration ${i}: ${hex(input)}`,
      )
    )
      decoded++;
  }
  assert.ok(decoded > 20 && decoded < ITERATIONS - 20, `${decoded} of ${ITERATIONS} decoded`);
}

function fuzzRandom(seed: number, decode: (input: Uint8Array) => DecodeResult): void {
  const random = prng(seed);
  for (let i = 0; i < ITERATIONS; i++) {
    const input = new Uint8Array(int(random, 300));
    for (let j = 0; j < input.length; j++) input[j] = int(random, 256);
    assertWellBehaved(
      () => decode(input),
      () => `iteration ${i}: ${hex(input)}`,
    );
  }
}

describe('Jaeger decoders under fuzzing', () => {
  let real: ClientPayloads;
  before(async () => {
    real = await captureJaegerClientPayloads();
  });

  test(`thrift HTTP Batch: ${ITERATIONS} mutated jaeger-client and sample bodies, ${ITERATIONS} random`, () => {
    const seeds = [real.httpBody, encodeBatch('binary', sampleBatch())];
    fuzzMutated(seeds, 0x1a3e, decodeJaegerThriftBatch);
    fuzzRandom(0x2b4f, decodeJaegerThriftBatch);
  });

  test(`agent compact: ${ITERATIONS} mutated emitBatch/emitZipkinBatch packets, ${ITERATIONS} random`, () => {
    const seeds = [
      encodeEmitBatch('compact', sampleBatch()),
      apacheEncodeMessage('compact', 'emitBatch', ThriftMessageType.Oneway, 5, [
        [1, T.Struct, batchValue(sampleBatch())],
      ]),
      zipkinPacket(),
    ];
    fuzzMutated(seeds, 0x3c50, (p) => decodeAgentPacket(p, 'compact'));
    fuzzRandom(0x4d61, (p) => decodeAgentPacket(p, 'compact'));
  });

  test(`agent binary: ${ITERATIONS} mutated jaeger-client and sample packets, ${ITERATIONS} random`, () => {
    const seeds = [real.udpPacket, encodeEmitBatch('binary', sampleBatch())];
    fuzzMutated(seeds, 0x5e72, (p) => decodeAgentPacket(p, 'binary'));
    fuzzRandom(0x6f83, (p) => decodeAgentPacket(p, 'binary'));
  });

  test(`api_v2 protobuf: ${ITERATIONS} mutated PostSpansRequests, ${ITERATIONS} random`, () => {
    fuzzMutated([encodePostSpansRequest(samplePostSpansRequest())], 0x7094, decodePostSpansRequest);
    fuzzRandom(0x81a5, decodePostSpansRequest);
  });
});

describe('Jaeger thrift HTTP endpoint under fuzzing', () => {
  let endpoint: StartedReceiver<JaegerThriftHttpReceiver>;
  before(async () => {
    endpoint = await startReceiver(JaegerThriftHttpReceiver);
  });
  after(() => endpoint.close());

  function post(body: Uint8Array) {
    const headers = { 'content-type': 'application/x-thrift' };
    return rawRequest(endpoint.port, { path: '/api/traces', headers }, body);
  }

  test(`${HTTP_ITERATIONS} mutated bodies get 202 or 400 with a message`, async () => {
    const random = prng(0x92b6);
    const seed = encodeBatch('binary', sampleBatch());
    const seen = new Set<number>();
    for (let i = 0; i < HTTP_ITERATIONS; i++) {
      const body = mutate(seed, random);
      const res = await post(body);
      seen.add(res.status);
      if (res.status === 400) {
        assert.match(res.text, /^cannot decode Jaeger thrift \(binary\) payload: .+/, hex(body));
      } else {
        assert.equal(res.status, 202, `iteration ${i}: ${res.status} ${res.text} for ${hex(body)}`);
      }
    }
    assert.deepEqual([...seen].sort(), [202, 400]);
  });
});
