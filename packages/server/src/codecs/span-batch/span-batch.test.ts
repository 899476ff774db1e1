/**
 * Round trips of the span-batch codec over the repo's span sources (the storage
 * conformance spans, the pipeline test spans, real exporter payloads, the bench
 * payloads) and over seeded random spans that use every field and value form.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { CorruptBatchError } from '../../errors.ts';
import type { AnyValue, Attribute, Resource, Scope, Span } from '../../model/span.ts';
import { DEFAULT_TENANT, SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import { makeTestSpans } from '../../pipeline/test-support/test-spans.ts';
import { decodeOtlpJson } from '../../receivers/otlp/otlp-json-decoder.ts';
import { decodeOtlpProto } from '../../receivers/otlp/otlp-proto-decoder.ts';
import { int, prng } from '../../receivers/test-support/fuzz.ts';
import {
  fullFidelitySpan,
  hexId,
  makeSpan,
  testResource,
} from '../../storage/conformance/test-spans.ts';
import { buildOtlpRequest } from '../../../../../bench/payloads.ts';
import { decodeSpanBatch, encodeSpanBatch, SPAN_BATCH_FORMAT_VERSION } from './index.ts';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

/** Decodes what was encoded and checks every field, and that sharing is kept. */
function roundTrip(spans: Span[]): Span[] {
  const bytes = encodeSpanBatch(spans);
  const back = decodeSpanBatch(bytes);
  assert.deepStrictEqual(back, spans);
  // Identity of resources and scopes: spans that shared one share one again.
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length && j < i + 50; j++) {
      assert.equal(
        back[i].resource === back[j].resource,
        spans[i].resource === spans[j].resource,
        `resource sharing of spans ${i} and ${j}`,
      );
      assert.equal(back[i].scope === back[j].scope, spans[i].scope === spans[j].scope);
    }
  }
  return back;
}

describe('span-batch codec round trip', () => {
  test('every field and value type of the conformance full-fidelity span', () => {
    const span = fullFidelitySpan('0af7651916cd43dd8448eb211c80319c', 1_700_000_000_123_456);
    const [back] = roundTrip([span]);
    const ints = back.attributes.filter((a) => a.type === ValueType.Int);
    assert.deepEqual(
      ints.map((a) => typeof a.value),
      ['number', 'bigint', 'bigint', 'bigint'],
    );
    const bytes = back.attributes.find((a) => a.key === 'bytes');
    assert.ok(bytes?.value instanceof Uint8Array);
    assert.equal(Object.getPrototypeOf(bytes.value), Uint8Array.prototype);
  });

  test('an empty batch', () => {
    assert.deepStrictEqual(decodeSpanBatch(encodeSpanBatch([])), []);
  });

  test('conformance and pipeline test spans, several traces and resources', () => {
    const a = testResource('svc-a');
    const b = testResource('svc-b');
    const spans: Span[] = [];
    for (let i = 0; i < 200; i++) {
      spans.push(
        makeSpan({
          traceId: hexId(0xc0de, i % 7, 32),
          spanId: hexId(0x5a, i, 16),
          parentSpanId: i % 3 === 0 ? '' : hexId(0x5a, i - 1, 16),
          resource: i % 2 === 0 ? a : b,
          name: `op-${i % 5}`,
          kind: SpanKind.Client,
          startTime: 1_700_000_000_000_000 + ((i * 7919) % 1000) * 1000,
          duration: i * 10,
          statusCode: i % 11 === 0 ? StatusCode.Error : StatusCode.Unset,
        }),
      );
    }
    spans.push(...makeTestSpans(30), ...makeTestSpans(1));
    roundTrip(spans);
  });

  test('spans decoded from real OTel exporter payloads and the Jaeger storage fixtures', () => {
    const proto = decodeOtlpProto(readFileSync(new URL('otlp/exporter-proto.bin', FIXTURES)));
    assert.ok(proto.spans.length > 0);
    roundTrip(proto.spans);
    const grpc = decodeOtlpProto(readFileSync(new URL('otlp/exporter-grpc.bin', FIXTURES)));
    roundTrip(grpc.spans);
    const dir = new URL('jaeger-storage/traces/', FIXTURES);
    let total = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const json = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as object;
      const { spans } = decodeOtlpJson(json);
      total += spans.length;
      roundTrip(spans);
    }
    assert.ok(total > 10, `${total} fixture spans`);
  });

  test('bench payloads (realistic attributes, exception events), and they shrink', () => {
    const request = buildOtlpRequest({ spans: 500 });
    const { spans } = decodeOtlpProto(request);
    const back = roundTrip(spans);
    assert.equal(back.length, 500);
    const encoded = encodeSpanBatch(spans);
    assert.ok(
      encoded.byteLength < request.byteLength,
      `${encoded.byteLength} bytes vs OTLP ${request.byteLength}`,
    );
  });

  test('spans with a resource or scope appearing again after others keep sharing', () => {
    const r1 = testResource('one');
    const r2 = testResource('two');
    const s1: Scope = {
      name: 's',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    const s2: Scope = { ...s1, name: 's2' };
    const make = (i: number, r: Resource, s: Scope): Span => ({
      ...makeSpan({ traceId: hexId(1, i, 32), spanId: hexId(2, i, 16), resource: r, startTime: i }),
      scope: s,
    });
    const spans = [make(1, r1, s1), make(2, r2, s2), make(3, r1, s2), make(4, r2, s1)];
    const back = roundTrip(spans);
    assert.equal(back[0].resource, back[2].resource);
    assert.equal(back[1].scope, back[2].scope);
    assert.notEqual(back[0].resource, back[1].resource);
  });

  test('encoding does not keep state between batches (interned strings, resources)', () => {
    const first = makeTestSpans(5);
    const second = makeTestSpans(5);
    encodeSpanBatch(first);
    const bytes = encodeSpanBatch(second);
    assert.deepStrictEqual(decodeSpanBatch(bytes), second);
    // The returned bytes are the caller's: a later encode does not overwrite them.
    const copy = Uint8Array.from(bytes);
    encodeSpanBatch(first);
    assert.deepStrictEqual(bytes, copy);
  });

  test('decodes from a view into a larger buffer (a WAL record or message payload)', () => {
    const spans = makeTestSpans(3);
    const bytes = encodeSpanBatch(spans);
    const big = new Uint8Array(bytes.byteLength + 20);
    big.set(bytes, 7);
    assert.deepStrictEqual(decodeSpanBatch(big.subarray(7, 7 + bytes.byteLength)), spans);
  });

  test(`2000 seeded random spans with every field form round-trip exactly`, () => {
    const random = prng(0xc0dec);
    for (let batch = 0; batch < 40; batch++) {
      const spans: Span[] = [];
      const resources = [randomResource(random), randomResource(random)];
      const scopes = [randomScope(random), randomScope(random)];
      for (let i = 0; i < 50; i++) {
        spans.push(randomSpan(random, resources[int(random, 2)], scopes[int(random, 2)]));
      }
      roundTrip(spans);
    }
  });
});

describe('span-batch codec framing', () => {
  test('starts with the magic and the format version', () => {
    const bytes = encodeSpanBatch(makeTestSpans(1));
    assert.deepEqual([...bytes.subarray(0, 4)], [0x53, 0x4b, 0x42, SPAN_BATCH_FORMAT_VERSION]);
  });

  test('a newer version is refused with a message naming it', () => {
    const bytes = encodeSpanBatch(makeTestSpans(1));
    bytes[3] = 99;
    assert.throws(
      () => decodeSpanBatch(bytes),
      (err: unknown) => {
        assert.ok(err instanceof CorruptBatchError);
        assert.match(err.message, /format version 99, this skein reads versions 1 to 2/);
        return true;
      },
    );
  });

  test('every truncation and a trailing byte throw CorruptBatchError', () => {
    const bytes = encodeSpanBatch([
      fullFidelitySpan('0af7651916cd43dd8448eb211c80319c', 1_700_000_000_000_000),
    ]);
    for (let n = 0; n < bytes.byteLength; n++) {
      assert.throws(() => decodeSpanBatch(bytes.subarray(0, n)), CorruptBatchError, `length ${n}`);
    }
    const longer = new Uint8Array(bytes.byteLength + 1);
    longer.set(bytes);
    assert.throws(() => decodeSpanBatch(longer), /1 bytes after the last span/);
  });

  test('each resource keeps its tenant, also two resources alike but for the tenant', () => {
    const [a, b] = makeTestSpans(2);
    a.resource = { ...a.resource, tenant: 'acme' };
    b.resource = { ...a.resource, tenant: 'globex' };
    const back = roundTrip([a, b, { ...a, spanId: '00000000000000ff' }]);
    assert.deepEqual(
      back.map((s) => s.resource.tenant),
      ['acme', 'globex', 'acme'],
    );
  });

  test('a version 1 record (written before tenants) decodes as the default tenant', () => {
    // Written by the version 1 encoder: makeTestSpans(3) of trace 1 (the durable
    // intake or a NATS stream may hold such records after an upgrade).
    const bytes = readFileSync(new URL('span-batch/version-1.skb', FIXTURES));
    assert.equal(bytes[3], 1);
    const spans = decodeSpanBatch(bytes);
    assert.deepEqual(
      spans.map((s) => [s.traceId, s.spanId, s.name, s.resource.serviceName, s.resource.tenant]),
      [
        [
          '00000000000000000000000000000001',
          '00000000000186a1',
          'op-0',
          'pipeline-test',
          DEFAULT_TENANT,
        ],
        [
          '00000000000000000000000000000001',
          '00000000000186a2',
          'op-1',
          'pipeline-test',
          DEFAULT_TENANT,
        ],
        [
          '00000000000000000000000000000001',
          '00000000000186a3',
          'op-2',
          'pipeline-test',
          DEFAULT_TENANT,
        ],
      ],
    );
    assert.equal(spans[0].resource, spans[2].resource);
    assert.deepEqual(spans[1].resource.attributes, [
      { key: 'service.name', type: ValueType.String, value: 'pipeline-test' },
    ]);
    // Encoded again, it is a current-version record that keeps the default tenant.
    const again = encodeSpanBatch(spans);
    assert.equal(again[3], SPAN_BATCH_FORMAT_VERSION);
    assert.deepEqual(decodeSpanBatch(again), spans);
  });

  test('a huge announced count fails before allocating', () => {
    // magic, version, span count 2^53 - 1 as an 8-byte varint
    const bytes = new Uint8Array([
      0x53, 0x4b, 0x42, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
    ]);
    assert.throws(() => decodeSpanBatch(bytes), /spans announced but only 0 bytes follow/);
  });
});

// ---- random spans ------------------------------------------------------------------

const ALPHABET = ['a', 'Z', '0', ' ', '=', 'é', 'ü', '€', '😀', '\u0000', '\ud800', '\udfff', '"'];

function randomString(random: () => number, max: number): string {
  const n = int(random, max + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    s +=
      random() < 0.8
        ? String.fromCharCode(97 + int(random, 26))
        : ALPHABET[int(random, ALPHABET.length)];
  }
  return s;
}

function randomHex(random: () => number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += '0123456789abcdef'[int(random, 16)];
  return s;
}

/** Mostly well-formed lowercase hex ids, sometimes the odd ids other protocols send. */
function randomId(random: () => number, chars: number): string {
  const r = random();
  if (r < 0.85) return randomHex(random, chars);
  if (r < 0.9) return randomHex(random, chars).toUpperCase();
  if (r < 0.95) return randomHex(random, chars - 2);
  return randomString(random, 20);
}

function randomTime(random: () => number): number {
  const r = random();
  if (r < 0.85) return 1_700_000_000_000_000 + int(random, 1e9);
  if (r < 0.9) return 1_700_000_000_000_000.5;
  if (r < 0.95) return int(random, 100);
  return -int(random, 1e6);
}

function randomValue(random: () => number, depth: number): AnyValue {
  switch (int(random, depth > 2 ? 6 : 8)) {
    case 0:
      return { type: ValueType.Empty, value: null };
    case 1:
      return { type: ValueType.String, value: randomString(random, random() < 0.9 ? 12 : 300) };
    case 2:
      return { type: ValueType.Bool, value: random() < 0.5 };
    case 3: {
      const forms: (number | bigint)[] = [
        int(random, 1000) - 500,
        2 ** 52,
        -(2 ** 52) - 1,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
        -0,
        9223372036854775807n,
        -9223372036854775808n,
        BigInt(int(random, 1e9)),
      ];
      return { type: ValueType.Int, value: forms[int(random, forms.length)] };
    }
    case 4: {
      const forms = [random() * 1e6, -0, NaN, Infinity, 5e-324, -1.5];
      return { type: ValueType.Double, value: forms[int(random, forms.length)] };
    }
    case 5: {
      const bytes = new Uint8Array(int(random, 40));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(random, 256);
      return { type: ValueType.Bytes, value: bytes };
    }
    case 6: {
      const values: AnyValue[] = [];
      for (let i = int(random, 4); i > 0; i--) values.push(randomValue(random, depth + 1));
      return { type: ValueType.Array, value: values };
    }
    default:
      return { type: ValueType.KvList, value: randomAttributes(random, 3, depth + 1) };
  }
}

const KEYS = ['http.method', 'http.route', 'db.statement', 'peer.service', 'k', 'ключ'];

function randomAttributes(random: () => number, max: number, depth = 0): Attribute[] {
  const attrs: Attribute[] = [];
  for (let i = int(random, max + 1); i > 0; i--) {
    const key = random() < 0.7 ? KEYS[int(random, KEYS.length)] : randomString(random, 10);
    attrs.push({ key, ...randomValue(random, depth) });
  }
  return attrs;
}

function randomResource(random: () => number): Resource {
  return {
    serviceName: randomString(random, 12),
    tenant: random() < 0.3 ? '' : randomString(random, 8),
    attributes: randomAttributes(random, 5),
    droppedAttributesCount: int(random, 3),
    schemaUrl: random() < 0.5 ? '' : 'https://opentelemetry.io/schemas/1.26.0',
  };
}

function randomScope(random: () => number): Scope {
  return {
    name: randomString(random, 12),
    version: randomString(random, 5),
    attributes: randomAttributes(random, 2),
    droppedAttributesCount: int(random, 3),
    schemaUrl: '',
  };
}

function randomSpan(random: () => number, resource: Resource, scope: Scope): Span {
  const startTime = randomTime(random);
  const events = [];
  for (let i = int(random, 3); i > 0; i--) {
    events.push({
      time: random() < 0.9 ? startTime + int(random, 1000) : randomTime(random),
      name: randomString(random, 10),
      attributes: randomAttributes(random, 3),
      droppedAttributesCount: int(random, 2),
    });
  }
  const links = [];
  for (let i = int(random, 2); i > 0; i--) {
    links.push({
      traceId: randomId(random, 32),
      spanId: randomId(random, 16),
      traceState: random() < 0.5 ? '' : 'k=v',
      attributes: randomAttributes(random, 2),
      droppedAttributesCount: int(random, 2),
      flags: int(random, 0x400),
    });
  }
  return {
    traceId: randomId(random, 32),
    spanId: randomId(random, 16),
    parentSpanId: random() < 0.3 ? '' : randomId(random, 16),
    traceState: random() < 0.8 ? '' : randomString(random, 20),
    flags: random() < 0.9 ? int(random, 2) : 2 ** 32 - 1,
    name: randomString(random, 30),
    kind: int(random, 6) as SpanKind,
    startTime,
    duration: random() < 0.95 ? int(random, 1e7) : 0.25,
    attributes: randomAttributes(random, 12),
    droppedAttributesCount: int(random, 3),
    events,
    droppedEventsCount: int(random, 3),
    links,
    droppedLinksCount: int(random, 3),
    statusCode: int(random, 3) as StatusCode,
    statusMessage: random() < 0.8 ? '' : randomString(random, 40),
    resource,
    scope,
  };
}
