import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toJaegerJson, toOtlpJson } from './export-trace.ts';
import { parseTraceFile } from './parse-trace-file.ts';
import { parseRoute } from './route.ts';

const jaeger = {
  data: [
    {
      traceID: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      spans: [
        {
          traceID: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
          spanID: 'a000000000000001',
          operationName: 'GET /checkout',
          references: [],
          startTime: 1795248900000000,
          duration: 50000,
          tags: [{ key: 'span.kind', type: 'string', value: 'server' }],
          logs: [],
          processID: 'p1',
        },
        {
          traceID: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
          spanID: 'a000000000000002',
          operationName: 'AddItem',
          references: [
            {
              refType: 'CHILD_OF',
              traceID: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
              spanID: 'a000000000000001',
            },
            {
              refType: 'FOLLOWS_FROM',
              traceID: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
              spanID: 'b000000000000001',
            },
          ],
          startTime: 1795248900001000,
          duration: 20000,
          tags: [
            { key: 'http.status_code', type: 'int64', value: 500 },
            { key: 'otel.status_code', type: 'string', value: 'ERROR' },
            { key: 'error', type: 'bool', value: true },
            { key: 'otel.status_description', type: 'string', value: 'out of stock' },
          ],
          logs: [
            {
              timestamp: 1795248900002000,
              fields: [{ key: 'event', type: 'string', value: 'exception' }],
            },
          ],
          processID: 'p2',
        },
      ],
      processes: {
        p1: { serviceName: 'frontend', tags: [] },
        p2: { serviceName: 'cart', tags: [{ key: 'host.name', type: 'string', value: 'h1' }] },
      },
    },
  ],
};

describe('trace files', () => {
  test('Jaeger JSON: parent from CHILD_OF, other references as links, status and kind from tags', () => {
    const { format, traces } = parseTraceFile(JSON.stringify(jaeger));
    assert.equal(format, 'jaeger');
    const [root, child] = traces[0].spans;
    assert.equal(root.kind, 'server');
    assert.equal(root.service, 'frontend');
    assert.equal(child.parentId, 'a000000000000001');
    assert.deepEqual(child.links, [
      {
        type: 'FOLLOWS_FROM',
        traceId: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
        spanId: 'b000000000000001',
      },
    ]);
    assert.equal(child.status, 'ERROR');
    assert.equal(child.statusMessage, 'out of stock');
    assert.deepEqual(child.events, [{ time: 1795248900002000, name: 'exception', fields: [] }]);
    assert.deepEqual(child.process, [{ key: 'host.name', type: 'string', value: 'h1' }]);
  });

  test('OTLP JSON: hex or base64 ids, ns times, enums as numbers or names, typed values', () => {
    const otlp = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
          scopeSpans: [
            {
              scope: { name: 'http' },
              spans: [
                {
                  traceId: 'qqqqqqqqqqqqqqqqqqqqqg==',
                  spanId: 'A000000000000002',
                  parentSpanId: 'a000000000000001',
                  name: 'AddItem',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1795248900001000000',
                  endTimeUnixNano: '1795248900021000000',
                  attributes: [
                    { key: 'n', value: { intValue: '9007199254740993' } },
                    {
                      key: 'list',
                      value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } },
                    },
                  ],
                  status: { code: 2, message: 'nope' },
                },
              ],
            },
          ],
        },
      ],
    };
    const { format, traces } = parseTraceFile(JSON.stringify({ result: otlp }));
    assert.equal(format, 'otlp');
    const s = traces[0].spans[0];
    assert.equal(s.traceId, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    assert.equal(s.spanId, 'a000000000000002');
    assert.equal(s.start, 1795248900001000);
    assert.equal(s.duration, 20000);
    assert.equal(s.kind, 'server');
    assert.equal(s.status, 'ERROR');
    assert.deepEqual(
      s.tags.find((t) => t.key === 'n'),
      { key: 'n', type: 'int64', value: '9007199254740993' },
    );
    assert.deepEqual(
      s.tags.find((t) => t.key === 'list'),
      { key: 'list', type: 'string', value: '["a",2]' },
    );
  });

  test('a trace exported as Jaeger JSON or OTLP JSON reads back the same', () => {
    const original = parseTraceFile(JSON.stringify(jaeger)).traces[0];
    const viaJaeger = parseTraceFile(JSON.stringify(toJaegerJson(original))).traces[0];
    assert.deepEqual(viaJaeger, original);
    const viaOtlp = parseTraceFile(JSON.stringify(toOtlpJson(original))).traces[0];
    for (let i = 0; i < original.spans.length; i++) {
      const a = original.spans[i];
      const b = viaOtlp.spans[i];
      assert.deepEqual(
        [
          b.spanId,
          b.parentId,
          b.service,
          b.operation,
          b.kind,
          b.start,
          b.duration,
          b.status,
          b.statusMessage,
          b.events.length,
        ],
        [
          a.spanId,
          a.parentId,
          a.service,
          a.operation,
          a.kind,
          a.start,
          a.duration,
          a.status,
          a.statusMessage,
          a.events.length,
        ],
      );
      assert.deepEqual(
        b.links.map((l) => l.spanId),
        a.links.map((l) => l.spanId),
      );
    }
  });

  test('files that are neither format say what was expected', () => {
    assert.throws(() => parseTraceFile('{'), /not JSON/);
    assert.throws(() => parseTraceFile('{"foo":1}'), /neither a Jaeger trace/);
  });
});

describe('routes', () => {
  test('deep links parse to pages', () => {
    assert.equal(parseRoute('/', '').page, 'search');
    assert.deepEqual(parseRoute('/trace/ABC', '?span=s1'), {
      page: 'trace',
      traceId: 'abc',
      spanId: 's1',
    });
    assert.deepEqual(parseRoute('/compare/a...b', ''), { page: 'compare', a: 'a', b: 'b' });
    assert.equal(parseRoute('/dependencies/', '').page, 'dependencies');
    assert.equal(parseRoute('/nope', '').page, 'not-found');
  });
});
