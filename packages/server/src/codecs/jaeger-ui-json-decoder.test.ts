import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidPayloadError } from '../errors.ts';
import { SpanKind, StatusCode, ValueType, type Span } from '../model/span.ts';
import { encodeJaegerTrace } from '../query/jaeger/encode-jaeger-trace.ts';
import { makeResource, makeScope, makeSpan } from '../query/test-support/span-builders.ts';
import { decodeJaegerUiJson } from './jaeger-ui-json-decoder.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function sample(): Span[] {
  const resource = makeResource('checkout', [
    { key: 'host.name', type: ValueType.String, value: 'h1' },
  ]);
  const scope = makeScope('http', '1.2.3');
  const root = makeSpan({
    traceId: TRACE,
    spanId: 'b7ad6b7169203331',
    name: 'GET /cart',
    kind: SpanKind.Server,
    resource,
    scope,
    attributes: [
      { key: 'user.email', type: ValueType.String, value: 'alice@example.com' },
      { key: 'big', type: ValueType.Int, value: 9007199254740993n },
      { key: 'ratio', type: ValueType.Double, value: 0.5 },
      { key: 'ok', type: ValueType.Bool, value: true },
      { key: 'raw', type: ValueType.Bytes, value: new Uint8Array([1, 2, 3]) },
    ],
    statusCode: StatusCode.Error,
    statusMessage: 'boom',
    events: [
      {
        time: 1_700_000_000_000_100,
        name: 'exception',
        attributes: [{ key: 'exception.message', type: ValueType.String, value: 'x' }],
        droppedAttributesCount: 0,
      },
    ],
  });
  const child = makeSpan({
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    parentSpanId: 'b7ad6b7169203331',
    name: 'SELECT',
    kind: SpanKind.Client,
    resource,
    scope,
  });
  return [root, child];
}

describe('decodeJaegerUiJson', () => {
  test('reads back what the Jaeger encoder writes, in all three document shapes', () => {
    const spans = sample();
    const trace = encodeJaegerTrace({ traceId: TRACE, spans });
    for (const doc of [{ data: [trace] }, [trace], trace]) {
      const { spans: decoded, rejectedSpans } = decodeJaegerUiJson(JSON.parse(JSON.stringify(doc)));
      assert.equal(rejectedSpans, 0);
      assert.equal(decoded.length, 2);
      const [root, child] = decoded;
      assert.equal(root.traceId, TRACE);
      assert.equal(root.name, 'GET /cart');
      assert.equal(root.kind, SpanKind.Server);
      assert.equal(root.statusCode, StatusCode.Error);
      assert.equal(root.statusMessage, 'boom');
      assert.deepEqual(root.attributes, spans[0].attributes);
      assert.deepEqual(root.events, spans[0].events);
      assert.equal(root.scope.name, 'http');
      assert.equal(root.resource.serviceName, 'checkout');
      assert.deepEqual(root.resource.attributes, spans[0].resource.attributes);
      assert.equal(child.parentSpanId, 'b7ad6b7169203331');
      assert.equal(child.resource, root.resource, 'one process, one shared resource');
      assert.equal(child.scope, root.scope, 'one scope, shared');
    }
  });

  test('a value of the wrong shape is an InvalidPayloadError naming its path', () => {
    const trace = encodeJaegerTrace({ traceId: TRACE, spans: sample() }) as unknown as {
      spans: { tags: unknown[] }[];
    };
    trace.spans[1].tags = [{ key: 'n', type: 'int64', value: 'twelve' }];
    assert.throws(
      () => decodeJaegerUiJson({ data: [trace] }),
      (err: unknown) =>
        err instanceof InvalidPayloadError &&
        /data\[0\]\.spans\[1\]\.tags\[0\]\.value: expected an integer/.test(err.message),
    );
    assert.throws(() => decodeJaegerUiJson({ traces: [] }), /expected \{"data": \[traces\]\}/);
  });
});
