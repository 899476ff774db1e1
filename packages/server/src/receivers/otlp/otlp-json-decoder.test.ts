import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { InvalidPayloadError } from '../../errors.ts';
import { SpanKind, StatusCode, UNKNOWN_SERVICE, ValueType } from '../../model/span.ts';
import { decodeOtlpJson } from './otlp-json-decoder.ts';

const FIXTURES = new URL('../../../test/fixtures/jaeger-storage/traces/', import.meta.url);

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/** A request with one resource, one scope and the given spans. */
function request(spans: unknown[], resourceAttributes: unknown[] = []): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        scopeSpans: [{ scope: { name: 'lib' }, spans }],
      },
    ],
  };
}

function span(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    name: 'op',
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000001000000',
    ...fields,
  };
}

function decodeOne(fields: Record<string, unknown>) {
  const result = decodeOtlpJson(request([span(fields)]));
  assert.equal(result.rejectedSpans, 0, result.errorMessage);
  assert.equal(result.spans.length, 1);
  return result.spans[0];
}

function attributeValue(value: unknown) {
  return decodeOne({ attributes: [{ key: 'k', value }] }).attributes[0];
}

function assertInvalid(body: unknown, message: RegExp): void {
  assert.throws(
    () => decodeOtlpJson(body),
    (err: unknown) => {
      assert.ok(err instanceof InvalidPayloadError, `not an InvalidPayloadError: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

function countSpans(body: { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }): number {
  let n = 0;
  for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

describe('decodeOtlpJson', () => {
  describe('Jaeger storage fixtures', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

    test('there are fixtures to decode', () => {
      assert.ok(files.length >= 30, `only ${files.length} fixtures`);
    });

    for (const file of files) {
      test(`decodes ${file} with nothing rejected`, () => {
        const body = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8'));
        const result = decodeOtlpJson(body);
        assert.equal(result.rejectedSpans, 0, result.errorMessage);
        assert.equal(result.errorMessage, '');
        assert.equal(result.spans.length, countSpans(body));
        for (const s of result.spans) {
          assert.match(s.traceId, /^[0-9a-f]{32}$/);
          assert.match(s.spanId, /^[0-9a-f]{16}$/);
          assert.ok(Number.isSafeInteger(s.startTime) && s.startTime > 0);
          assert.ok(s.duration >= 0);
        }
      });
    }

    test('example_trace.json decodes to the expected model', () => {
      const body = JSON.parse(readFileSync(new URL('example_trace.json', FIXTURES), 'utf8'));
      const { spans } = decodeOtlpJson(body);
      assert.deepEqual(
        spans.map((s) => [s.resource.serviceName, s.spanId, s.name, s.kind]),
        [
          ['example-service-2', '0000000000000004', 'example-operation-2', SpanKind.Unspecified],
          ['example-service-3', '0000000000000005', 'example-operation-1', SpanKind.Unspecified],
          ['example-service-1', '0000000000000003', 'example-operation-1', SpanKind.Unspecified],
          ['example-service-1', '0000000000000006', 'example-operation-3', SpanKind.Server],
          ['example-service-1', '0000000000000007', 'example-operation-4', SpanKind.Client],
        ],
      );
      const first = spans[0];
      assert.equal(first.traceId, '00000000000000000000000000000011');
      assert.equal(first.startTime, 1485449191639875);
      assert.equal(first.duration, 100);
      assert.deepEqual(
        first.events.map((e) => e.time),
        [1485449191639875, 1485449191639875],
      );
      assert.equal(spans[2].resource, spans[3].resource, 'one Resource per resourceSpans');
      assert.equal(spans[2].scope, spans[3].scope, 'one Scope per scopeSpans');
    });

    test('every AnyValue type in span_tags_trace.json', () => {
      const body = JSON.parse(readFileSync(new URL('span_tags_trace.json', FIXTURES), 'utf8'));
      const types = new Set<number>();
      for (const s of decodeOtlpJson(body).spans) for (const a of s.attributes) types.add(a.type);
      for (const t of [ValueType.String, ValueType.Bool, ValueType.Int, ValueType.Double]) {
        assert.ok(types.has(t), `no attribute of type ${t}`);
      }
    });
  });

  describe('fields', () => {
    test('a full span in lowerCamelCase', () => {
      const s = decodeOne({
        parentSpanId: '00F067AA0BA902B7',
        traceState: 'vendor=1',
        flags: 257,
        kind: 3,
        attributes: [{ key: 'http.method', value: { stringValue: 'GET' } }],
        droppedAttributesCount: 1,
        events: [
          {
            timeUnixNano: '1700000000000500000',
            name: 'retry',
            attributes: [{ key: 'n', value: { intValue: '2' } }],
            droppedAttributesCount: 3,
          },
        ],
        droppedEventsCount: 4,
        links: [
          {
            traceId: TRACE_ID.toUpperCase(),
            spanId: SPAN_ID,
            traceState: 'a=b',
            attributes: [{ key: 'l', value: { boolValue: true } }],
            droppedAttributesCount: 5,
            flags: 1,
          },
        ],
        droppedLinksCount: 6,
        status: { code: 2, message: 'boom' },
      });
      assert.deepEqual(
        { ...s, resource: undefined, scope: undefined },
        {
          traceId: TRACE_ID,
          spanId: SPAN_ID,
          parentSpanId: '00f067aa0ba902b7',
          traceState: 'vendor=1',
          flags: 257,
          name: 'op',
          kind: SpanKind.Client,
          startTime: 1700000000000000,
          duration: 1000,
          attributes: [{ key: 'http.method', type: ValueType.String, value: 'GET' }],
          droppedAttributesCount: 1,
          events: [
            {
              time: 1700000000000500,
              name: 'retry',
              attributes: [{ key: 'n', type: ValueType.Int, value: 2 }],
              droppedAttributesCount: 3,
            },
          ],
          droppedEventsCount: 4,
          links: [
            {
              traceId: TRACE_ID,
              spanId: SPAN_ID,
              traceState: 'a=b',
              attributes: [{ key: 'l', type: ValueType.Bool, value: true }],
              droppedAttributesCount: 5,
              flags: 1,
            },
          ],
          droppedLinksCount: 6,
          statusCode: StatusCode.Error,
          statusMessage: 'boom',
          resource: undefined,
          scope: undefined,
        },
      );
      assert.deepEqual(s.scope, {
        name: 'lib',
        version: '',
        attributes: [],
        droppedAttributesCount: 0,
        schemaUrl: '',
      });
    });

    test('accepts the proto (snake_case) field names', () => {
      const body = {
        resource_spans: [
          {
            resource: {
              attributes: [{ key: 'service.name', value: { string_value: 'svc' } }],
              dropped_attributes_count: 2,
            },
            schema_url: 'https://opentelemetry.io/schemas/1.21.0',
            scope_spans: [
              {
                scope: { name: 's', version: '1', dropped_attributes_count: 1 },
                schema_url: 'scope-schema',
                spans: [
                  {
                    trace_id: TRACE_ID,
                    span_id: SPAN_ID,
                    parent_span_id: '',
                    trace_state: 'x=y',
                    start_time_unix_nano: '1000000',
                    end_time_unix_nano: 3000000,
                    dropped_attributes_count: 7,
                    events: [{ time_unix_nano: '2000000', dropped_attributes_count: 1 }],
                    dropped_events_count: 8,
                    links: [{ trace_id: TRACE_ID, span_id: SPAN_ID, trace_state: 't' }],
                    dropped_links_count: 9,
                    attributes: [
                      { key: 'i', value: { int_value: 5 } },
                      { key: 'd', value: { double_value: 1.5 } },
                      { key: 'b', value: { bool_value: false } },
                      { key: 'y', value: { bytes_value: 'AQI=' } },
                      { key: 'a', value: { array_value: { values: [{ string_value: 'x' }] } } },
                      { key: 'm', value: { kvlist_value: { values: [{ key: 'k' }] } } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      };
      const { spans } = decodeOtlpJson(body);
      assert.equal(spans.length, 1);
      const s = spans[0];
      assert.equal(s.resource.serviceName, 'svc');
      assert.equal(s.resource.droppedAttributesCount, 2);
      assert.equal(s.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.21.0');
      assert.equal(s.scope.schemaUrl, 'scope-schema');
      assert.equal(s.scope.version, '1');
      assert.equal(s.scope.droppedAttributesCount, 1);
      assert.equal(s.traceState, 'x=y');
      assert.equal(s.startTime, 1000);
      assert.equal(s.duration, 2000);
      assert.equal(s.droppedAttributesCount, 7);
      assert.equal(s.events[0].time, 2000);
      assert.equal(s.events[0].droppedAttributesCount, 1);
      assert.equal(s.droppedEventsCount, 8);
      assert.equal(s.links[0].traceState, 't');
      assert.equal(s.droppedLinksCount, 9);
      assert.deepEqual(s.attributes, [
        { key: 'i', type: ValueType.Int, value: 5 },
        { key: 'd', type: ValueType.Double, value: 1.5 },
        { key: 'b', type: ValueType.Bool, value: false },
        { key: 'y', type: ValueType.Bytes, value: new Uint8Array([1, 2]) },
        { key: 'a', type: ValueType.Array, value: [{ type: ValueType.String, value: 'x' }] },
        {
          key: 'm',
          type: ValueType.KvList,
          value: [{ key: 'k', type: ValueType.Empty, value: null }],
        },
      ]);
    });

    test('enums by name', () => {
      const s = decodeOne({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_ERROR' } });
      assert.equal(s.kind, SpanKind.Server);
      assert.equal(s.statusCode, StatusCode.Error);
      assert.equal(decodeOne({ kind: 'SPAN_KIND_CONSUMER' }).kind, SpanKind.Consumer);
      assert.equal(decodeOne({ status: { code: 'STATUS_CODE_OK' } }).statusCode, StatusCode.Ok);
    });

    test('enum numbers OTLP does not define read as unspecified', () => {
      const s = decodeOne({ kind: 9, status: { code: 7 } });
      assert.equal(s.kind, SpanKind.Unspecified);
      assert.equal(s.statusCode, StatusCode.Unset);
    });

    test('null means not set', () => {
      const s = decodeOne({ kind: null, parentSpanId: null, status: null, attributes: null });
      assert.equal(s.kind, SpanKind.Unspecified);
      assert.equal(s.parentSpanId, '');
      assert.deepEqual(s.attributes, []);
    });

    test('ids are lowercased; an empty or all-zero parent span id means root', () => {
      const s = decodeOne({
        traceId: TRACE_ID.toUpperCase(),
        spanId: SPAN_ID.toUpperCase(),
        parentSpanId: 'ABCDEF0123456789',
      });
      assert.equal(s.traceId, TRACE_ID);
      assert.equal(s.spanId, SPAN_ID);
      assert.equal(s.parentSpanId, 'abcdef0123456789');
      assert.equal(decodeOne({ parentSpanId: '' }).parentSpanId, '');
      assert.equal(decodeOne({ parentSpanId: '0000000000000000' }).parentSpanId, '');
    });

    test('nanoseconds become microseconds exactly, as string or number', () => {
      // Number('1485449191639875999') / 1000 would round to ...876; dropping digits is exact.
      const s = decodeOne({
        startTimeUnixNano: '1485449191639875999',
        endTimeUnixNano: '1485449191639877001',
      });
      assert.equal(s.startTime, 1485449191639875);
      assert.equal(s.duration, 2);
      assert.equal(decodeOne({ startTimeUnixNano: '9007199254740991999' }).startTime, 2 ** 53 - 1);
      const t = decodeOne({ startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '999' });
      assert.equal(t.startTime, 1700000000123456);
      assert.equal(t.duration, 0, 'end before start clamps to 0');
      const n = decodeOne({
        startTimeUnixNano: 999999999999999,
        endTimeUnixNano: 1999999999999999,
      });
      assert.equal(n.startTime, 999999999999);
      assert.equal(n.duration, 1000000000000);
      const missing = decodeOne({ startTimeUnixNano: undefined, endTimeUnixNano: undefined });
      assert.equal(missing.startTime, 0);
      assert.equal(missing.duration, 0);
    });

    test('intValue as string or number; beyond 2^53 as bigint', () => {
      assert.deepEqual(attributeValue({ intValue: '-42' }), {
        key: 'k',
        type: ValueType.Int,
        value: -42,
      });
      assert.deepEqual(attributeValue({ intValue: 42 }), {
        key: 'k',
        type: ValueType.Int,
        value: 42,
      });
      assert.deepEqual(attributeValue({ intValue: '9223372036854775807' }), {
        key: 'k',
        type: ValueType.Int,
        value: 9223372036854775807n,
      });
      assert.deepEqual(attributeValue({ intValue: '-9223372036854775808' }).value, -(2n ** 63n));
      assert.equal(Object.is(attributeValue({ intValue: '-0' }).value, 0), true);
    });

    test('doubleValue including the non-finite spellings', () => {
      assert.equal(attributeValue({ doubleValue: 2.5 }).value, 2.5);
      assert.equal(attributeValue({ doubleValue: '2.5' }).value, 2.5);
      assert.equal(attributeValue({ doubleValue: 'Infinity' }).value, Infinity);
      assert.equal(attributeValue({ doubleValue: '-Infinity' }).value, -Infinity);
      assert.ok(Number.isNaN(attributeValue({ doubleValue: 'NaN' }).value));
    });

    test('bytesValue is base64 (standard or URL-safe) into a plain Uint8Array', () => {
      const a = attributeValue({ bytesValue: '3q2+7w==' });
      assert.equal(a.type, ValueType.Bytes);
      assert.deepEqual(a.value, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
      assert.equal(Object.getPrototypeOf(a.value), Uint8Array.prototype);
      assert.deepEqual(
        attributeValue({ bytesValue: '3q2-7w' }).value,
        new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      );
      assert.deepEqual(attributeValue({ bytesValue: '' }).value, new Uint8Array(0));
    });

    test('nested arrays and kvlists, and empty values', () => {
      const a = attributeValue({
        kvlistValue: {
          values: [
            {
              key: 'arr',
              value: { arrayValue: { values: [{ intValue: 1 }, { arrayValue: {} }, {}] } },
            },
            {
              key: 'inner',
              value: { kvlistValue: { values: [{ key: 's', value: { stringValue: '' } }] } },
            },
            { key: 'none' },
          ],
        },
      });
      assert.deepEqual(a, {
        key: 'k',
        type: ValueType.KvList,
        value: [
          {
            key: 'arr',
            type: ValueType.Array,
            value: [
              { type: ValueType.Int, value: 1 },
              { type: ValueType.Array, value: [] },
              { type: ValueType.Empty, value: null },
            ],
          },
          {
            key: 'inner',
            type: ValueType.KvList,
            value: [{ key: 's', type: ValueType.String, value: '' }],
          },
          { key: 'none', type: ValueType.Empty, value: null },
        ],
      });
      assert.deepEqual(attributeValue({}), { key: 'k', type: ValueType.Empty, value: null });
    });

    test('service name from the resource, else unknown_service', () => {
      const named = decodeOtlpJson(
        request(
          [span()],
          [
            { key: 'host.name', value: { stringValue: 'h' } },
            { key: 'service.name', value: { stringValue: 'checkout' } },
          ],
        ),
      );
      assert.equal(named.spans[0].resource.serviceName, 'checkout');
      assert.equal(
        decodeOtlpJson(request([span()])).spans[0].resource.serviceName,
        UNKNOWN_SERVICE,
      );
      const noResource = decodeOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: [span()] }] }] });
      assert.equal(noResource.spans[0].resource.serviceName, UNKNOWN_SERVICE);
      assert.deepEqual(noResource.spans[0].resource.attributes, []);
      assert.equal(noResource.spans[0].scope.name, '');
    });

    test('spans share one Resource per resourceSpans and one Scope per scopeSpans', () => {
      const body = {
        resourceSpans: [
          {
            scopeSpans: [
              { scope: { name: 'a' }, spans: [span(), span()] },
              { scope: { name: 'b' }, spans: [span()] },
            ],
          },
          { scopeSpans: [{ scope: { name: 'a' }, spans: [span()] }] },
        ],
      };
      const [s0, s1, s2, s3] = decodeOtlpJson(body).spans;
      assert.equal(s0.resource, s1.resource);
      assert.equal(s0.resource, s2.resource);
      assert.notEqual(s0.resource, s3.resource);
      assert.equal(s0.scope, s1.scope);
      assert.notEqual(s0.scope, s2.scope);
      assert.notEqual(s0.scope, s3.scope);
    });

    test('empty requests', () => {
      assert.deepEqual(decodeOtlpJson({}), { spans: [], rejectedSpans: 0, errorMessage: '' });
      assert.deepEqual(decodeOtlpJson({ resourceSpans: [] }), {
        spans: [],
        rejectedSpans: 0,
        errorMessage: '',
      });
      assert.equal(decodeOtlpJson({ resourceSpans: [{}] }).spans.length, 0);
    });
  });

  describe('spans with bad ids are rejected, the rest kept', () => {
    test('count and first reason', () => {
      const result = decodeOtlpJson(
        request([
          span(),
          span({ spanId: '0000000000000001' }),
          span(),
          span({ traceId: 'xyz' }),
          span({ spanId: '0000000000000000' }),
        ]),
      );
      assert.equal(result.spans.length, 3);
      assert.equal(result.rejectedSpans, 2);
      assert.equal(
        result.errorMessage,
        "2 spans rejected: span 3 has trace id 'xyz' (want 32 hex digits)",
      );
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['missing trace id', { traceId: undefined }, /^1 span rejected: span 0 has no trace id$/],
      ['all-zero trace id', { traceId: '0'.repeat(32) }, /all-zero trace id/],
      ['short trace id', { traceId: 'abc' }, /trace id 'abc' \(want 32 hex digits\)/],
      ['non-hex trace id', { traceId: 'g'.repeat(32) }, /want 32 hex digits/],
      ['missing span id', { spanId: '' }, /span 0 has no span id/],
      ['17-digit span id', { spanId: '0'.repeat(17) }, /want 16 hex digits/],
      ['all-zero span id', { spanId: '0'.repeat(16) }, /all-zero span id/],
      ['bad parent span id', { parentSpanId: 'zz' }, /parent span id 'zz'/],
      [
        'bad link trace id',
        { links: [{ traceId: 'nope', spanId: SPAN_ID }] },
        /span 0 link 0 has trace id 'nope'/,
      ],
      [
        'all-zero link span id',
        { links: [{ traceId: TRACE_ID, spanId: '0'.repeat(16) }] },
        /link 0 has an all-zero span id/,
      ],
    ];
    for (const [name, fields, message] of cases) {
      test(name, () => {
        const result = decodeOtlpJson(request([span(fields)]));
        assert.equal(result.spans.length, 0);
        assert.equal(result.rejectedSpans, 1);
        assert.match(result.errorMessage, message);
      });
    }

    test('a huge bad id is clipped in the message', () => {
      const result = decodeOtlpJson(request([span({ traceId: 'a'.repeat(10000) })]));
      assert.ok(result.errorMessage.length < 200, result.errorMessage);
    });
  });

  describe('structurally wrong bodies throw InvalidPayloadError naming the path', () => {
    const spanPath = 'resourceSpans\\[0\\]\\.scopeSpans\\[0\\]\\.spans\\[0\\]';
    const cases: [string, unknown, RegExp][] = [
      ['null body', null, /request body: expected a JSON object/],
      ['array body', [], /request body: expected a JSON object/],
      ['string body', 'x', /request body: expected a JSON object/],
      ['resourceSpans not an array', { resourceSpans: {} }, /resourceSpans: expected an array/],
      [
        'resourceSpans item not an object',
        { resourceSpans: [1] },
        /resourceSpans\[0\]: expected an object/,
      ],
      [
        'scopeSpans not an array',
        { resourceSpans: [{ scopeSpans: 'x' }] },
        /resourceSpans\[0\]\.scopeSpans: expected an array/,
      ],
      [
        'resource not an object',
        { resourceSpans: [{ resource: [] }] },
        /resourceSpans\[0\]\.resource: expected an object/,
      ],
      [
        'resource attribute value',
        { resourceSpans: [{ resource: { attributes: [{ key: 'a', value: { intValue: 'x' } }] } }] },
        /resourceSpans\[0\]\.resource\.attributes\[0\]\.value\.intValue: expected an integer/,
      ],
      ['span not an object', request(['x']), new RegExp(`${spanPath}: expected an object`)],
      [
        'start time of the wrong type',
        request([span({ startTimeUnixNano: true })]),
        new RegExp(`${spanPath}\\.startTimeUnixNano: expected a string or number`),
      ],
      [
        'start time not digits',
        request([span({ startTimeUnixNano: '12a' })]),
        new RegExp(`${spanPath}\\.startTimeUnixNano: expected unsigned integer nanoseconds`),
      ],
      ['negative end time', request([span({ endTimeUnixNano: -1 })]), /endTimeUnixNano/],
      [
        'trace id not a string',
        request([span({ traceId: 5 })]),
        /spans\[0\]\.traceId: expected a string/,
      ],
      ['name not a string', request([span({ name: {} })]), /spans\[0\]\.name: expected a string/],
      [
        'unknown kind name',
        request([span({ kind: 'SERVER' })]),
        /spans\[0\]\.kind: expected a number or one of SPAN_KIND_/,
      ],
      ['fractional kind', request([span({ kind: 1.5 })]), /spans\[0\]\.kind/],
      [
        'status code name',
        request([span({ status: { code: 'ERROR' } })]),
        /spans\[0\]\.status\.code/,
      ],
      [
        'status message',
        request([span({ status: { message: 1 } })]),
        /spans\[0\]\.status\.message: expected a string/,
      ],
      [
        'flags negative',
        request([span({ flags: -1 })]),
        /spans\[0\]\.flags: expected an unsigned 32-bit integer/,
      ],
      [
        'dropped count too big',
        request([span({ droppedAttributesCount: 2 ** 32 })]),
        /droppedAttributesCount/,
      ],
      [
        'attributes not an array',
        request([span({ attributes: {} })]),
        /spans\[0\]\.attributes: expected an array/,
      ],
      [
        'attribute not an object',
        request([span({ attributes: [[]] })]),
        /spans\[0\]\.attributes\[0\]: expected an object/,
      ],
      [
        'attribute key',
        request([span({ attributes: [{ key: 1 }] })]),
        /attributes\[0\]\.key: expected a string/,
      ],
      [
        'value not an object',
        request([span({ attributes: [{ key: 'k', value: 'v' }] })]),
        /attributes\[0\]\.value: expected an object/,
      ],
      [
        'stringValue',
        request([span({ attributes: [{ key: 'k', value: { stringValue: 1 } }] })]),
        /value\.stringValue: expected a string/,
      ],
      [
        'boolValue',
        request([span({ attributes: [{ key: 'k', value: { boolValue: 'true' } }] })]),
        /value\.boolValue: expected true or false/,
      ],
      [
        'fractional intValue',
        request([span({ attributes: [{ key: 'k', value: { intValue: 1.5 } }] })]),
        /value\.intValue: expected an integer/,
      ],
      [
        'intValue over int64',
        request([span({ attributes: [{ key: 'k', value: { intValue: '9223372036854775808' } }] })]),
        /value\.intValue: out of int64 range/,
      ],
      [
        'doubleValue',
        request([span({ attributes: [{ key: 'k', value: { doubleValue: 'x' } }] })]),
        /value\.doubleValue: expected a number/,
      ],
      [
        'bytesValue',
        request([span({ attributes: [{ key: 'k', value: { bytesValue: '***' } }] })]),
        /value\.bytesValue: expected a base64 string/,
      ],
      [
        'deep in arrays and kvlists',
        request([
          span({
            events: [
              {
                attributes: [
                  {
                    key: 'k',
                    value: {
                      kvlistValue: {
                        values: [
                          { key: 'x', value: { arrayValue: { values: [{}, { intValue: [] }] } } },
                        ],
                      },
                    },
                  },
                ],
              },
            ],
          }),
        ]),
        new RegExp(
          `${spanPath}\\.events\\[0\\]\\.attributes\\[0\\]\\.value\\.kvlistValue\\.values\\[0\\]\\.value\\.arrayValue\\.values\\[1\\]\\.intValue: expected an integer`,
        ),
      ],
      [
        'arrayValue values',
        request([span({ attributes: [{ key: 'k', value: { arrayValue: { values: 1 } } }] })]),
        /value\.arrayValue\.values: expected an array/,
      ],
      [
        'event not an object',
        request([span({ events: [1] })]),
        /spans\[0\]\.events\[0\]: expected an object/,
      ],
      [
        'event time',
        request([span({ events: [{ timeUnixNano: {} }] })]),
        /events\[0\]\.timeUnixNano/,
      ],
      ['link flags', request([span({ links: [{ flags: 'x' }] })]), /links\[0\]\.flags/],
      [
        'scope name',
        { resourceSpans: [{ scopeSpans: [{ scope: { name: 1 } }] }] },
        /scopeSpans\[0\]\.scope\.name: expected a string/,
      ],
      [
        'schemaUrl',
        { resourceSpans: [{ schemaUrl: 1 }] },
        /resourceSpans\[0\]\.schemaUrl: expected a string/,
      ],
    ];
    for (const [name, body, message] of cases) {
      test(name, () => assertInvalid(body, message));
    }

    test('the error carries the receiver error code', () => {
      try {
        decodeOtlpJson({ resourceSpans: 1 });
        assert.fail('did not throw');
      } catch (err) {
        assert.ok(err instanceof InvalidPayloadError);
        assert.equal(err.code, 'SKEIN_INVALID_PAYLOAD');
        assert.equal(err.statusCode, 400);
        assert.match(
          err.message,
          /^cannot decode OTLP\/JSON payload: resourceSpans: expected an array/,
        );
      }
    });
  });
});
