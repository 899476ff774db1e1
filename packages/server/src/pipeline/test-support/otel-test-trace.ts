import assert from 'node:assert/strict';
import { context, SpanKind as OtelSpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_TENANT, SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Attribute, Span } from '../../model/span.ts';
import type { TraceReader } from '../../storage/trace-reader.ts';

/** 2023-11-14T22:13:20.123456789Z as OTel HrTime; stored as µs 1700000000123456. */
const START: [number, number] = [1_700_000_000, 123_456_789];
const START_MICROS = 1_700_000_000_123_456;

/**
 * Builds one three-span trace with the OpenTelemetry JS SDK (a server root, a
 * client child with an error status, an internal grandchild with a link), with
 * every attribute type, an event and exact timestamps. `service` names the resource.
 */
export async function makeOtelTrace(service: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'test-host' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('receiver-test', '1.2.3');
  const root = tracer.startSpan('GET /orders', {
    kind: OtelSpanKind.SERVER,
    startTime: START,
    attributes: {
      'http.method': 'GET',
      'http.status_code': 200,
      'retry.ratio': 0.25,
      cached: true,
      tags: ['a', 'b'],
    },
  });
  root.addEvent('cache miss', { key: 'order:42' }, [START[0], START[1] + 1_000_000]);
  const rootContext = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'SELECT orders',
    { kind: OtelSpanKind.CLIENT, startTime: [START[0], START[1] + 2_000_000] },
    rootContext,
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  const grandchild = tracer.startSpan(
    'parse rows',
    {
      startTime: [START[0], START[1] + 3_000_000],
      links: [{ context: root.spanContext(), attributes: { reason: 'follows' } }],
    },
    trace.setSpan(context.active(), child),
  );
  grandchild.end([START[0], START[1] + 4_000_000]);
  child.end([START[0], START[1] + 5_000_000]);
  root.end([START[0], START[1] + 10_000_000]);
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** Exports through a real OTLP exporter and resolves when the server acknowledged. */
export function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    });
  });
}

function attribute(span: Span, key: string): Attribute | undefined {
  return span.attributes.find((a) => a.key === key);
}

/** Reads the trace back from storage and checks every field the test trace sets. */
export async function assertStoredTrace(
  reader: TraceReader,
  sent: ReadableSpan[],
  service: string,
  tenant = DEFAULT_TENANT,
): Promise<void> {
  const traceId = sent[0].spanContext().traceId;
  const stored = await reader.getTrace(tenant, traceId);
  assert.ok(stored, `trace ${traceId} is stored`);
  assert.equal(stored.spans.length, 3);
  const byName = new Map(stored.spans.map((s) => [s.name, s]));
  const root = byName.get('GET /orders');
  const child = byName.get('SELECT orders');
  const grandchild = byName.get('parse rows');
  assert.ok(root && child && grandchild, 'all three spans are stored by name');
  const sentRoot = sent.find((s) => s.name === 'GET /orders')!;

  assert.equal(root.traceId, traceId);
  assert.equal(root.spanId, sentRoot.spanContext().spanId);
  assert.equal(root.parentSpanId, '');
  assert.equal(root.kind, SpanKind.Server);
  assert.equal(root.startTime, START_MICROS);
  assert.equal(root.duration, 10_000);
  assert.equal(root.resource.serviceName, service);
  assert.ok(root.resource.attributes.some((a) => a.key === 'host.name' && a.value === 'test-host'));
  assert.equal(root.scope.name, 'receiver-test');
  assert.equal(root.scope.version, '1.2.3');
  assert.deepEqual(attribute(root, 'http.method'), {
    key: 'http.method',
    type: ValueType.String,
    value: 'GET',
  });
  assert.deepEqual(attribute(root, 'http.status_code'), {
    key: 'http.status_code',
    type: ValueType.Int,
    value: 200,
  });
  assert.equal(attribute(root, 'retry.ratio')?.value, 0.25);
  assert.equal(attribute(root, 'cached')?.value, true);
  assert.equal(attribute(root, 'tags')?.type, ValueType.Array);
  assert.equal(root.events.length, 1);
  assert.equal(root.events[0].name, 'cache miss');
  assert.equal(root.events[0].time, START_MICROS + 1000);
  assert.equal(root.events[0].attributes[0].value, 'order:42');

  assert.equal(child.parentSpanId, root.spanId);
  assert.equal(child.kind, SpanKind.Client);
  assert.equal(child.statusCode, StatusCode.Error);
  assert.equal(child.statusMessage, 'deadlock detected');
  assert.equal(child.duration, 3_000);

  assert.equal(grandchild.parentSpanId, child.spanId);
  assert.equal(grandchild.kind, SpanKind.Internal);
  assert.equal(grandchild.links.length, 1);
  assert.equal(grandchild.links[0].spanId, root.spanId);
  assert.equal(grandchild.links[0].attributes[0].value, 'follows');
}
