import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

interface Sent {
  service: string;
  traceId: string;
}

/** Sends one two-span trace (server root, failing client child with an event) through `exporter`. */
async function sendTrace(service: string, inner: SpanExporter): Promise<Sent> {
  const exporter = new CountingExporter(inner);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'e2e-host' }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('e2e', '1.2.3');
  const root = tracer.startSpan('POST /checkout', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'POST',
      'http.response.status_code': 502,
      retries: 2,
      ratio: 0.5,
      cached: false,
    },
  });
  const child = tracer.startSpan(
    'charge card',
    { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'payments', tags: ['a', 'b'] } },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('retry', { attempt: 1 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  assert.equal(exporter.failed, 0, `${service}: exporter reported ${exporter.lastError}`);
  assert.equal(exporter.exported, 2, `${service}: both spans exported`);
  return { service, traceId: root.spanContext().traceId };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('skein all, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-e2e-'));
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('spans from the real OTLP exporters (gRPC, HTTP protobuf, HTTP JSON) survive a restart and read back through both APIs', async () => {
    const args = [`--storage.duckdb.path=${dir}`];
    skein = await startSkein('all', args);
    const grpcUrl = skein.urls.get('otlp-grpc');
    const httpUrl = skein.urls.get('otlp-http');
    assert.ok(grpcUrl && httpUrl, `banner lists the receivers: ${skein.output.join('\n')}`);

    const sent = [
      await sendTrace('e2e-grpc', new GrpcExporter({ url: grpcUrl })),
      await sendTrace('e2e-http-proto', new ProtoExporter({ url: `${httpUrl}/v1/traces` })),
      await sendTrace('e2e-http-json', new JsonExporter({ url: `${httpUrl}/v1/traces` })),
    ];

    // A graceful stop flushes everything accepted and exits 0.
    assert.equal(await skein.stop(), 0, skein.output.join('\n'));
    skein = await startSkein('all', args);
    const query = skein.urls.get('query');
    assert.ok(query);

    const services = await getJson(`${query}/api/services`);
    assert.equal(services.status, 200);
    for (const s of sent)
      assert.ok(services.body.data.includes(s.service), `${s.service} in ${services.body.data}`);

    for (const s of sent) {
      const legacy = await getJson(`${query}/api/traces/${s.traceId}`);
      assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
      const t = legacy.body.data[0];
      assert.equal(t.traceID, s.traceId);
      assert.equal(t.spans.length, 2);
      const byName = new Map<string, any>(t.spans.map((sp: any) => [sp.operationName, sp]));
      const root = byName.get('POST /checkout');
      const child = byName.get('charge card');
      assert.ok(root && child, s.service);
      assert.equal(t.processes[root.processID].serviceName, s.service);
      assert.deepEqual(child.references, [
        { refType: 'CHILD_OF', traceID: s.traceId, spanID: root.spanID },
      ]);
      const tag = (span: any, key: string) => span.tags.find((x: any) => x.key === key);
      assert.deepEqual(tag(root, 'http.response.status_code'), {
        key: 'http.response.status_code',
        type: 'int64',
        value: 502,
      });
      assert.deepEqual(tag(root, 'ratio'), { key: 'ratio', type: 'float64', value: 0.5 });
      assert.deepEqual(tag(root, 'cached'), { key: 'cached', type: 'bool', value: false });
      assert.equal(tag(root, 'span.kind').value, 'server');
      assert.equal(tag(child, 'error').value, true);
      assert.equal(tag(child, 'otel.status_description').value, 'card declined');
      assert.equal(child.logs.length, 1);
      assert.ok(child.logs[0].fields.some((f: any) => f.key === 'event' && f.value === 'retry'));

      const v3 = await getJson(`${query}/api/v3/traces/${s.traceId}`);
      assert.equal(v3.status, 200, JSON.stringify(v3.body));
      const rs = v3.body.result.resourceSpans;
      const spans = rs.flatMap((r: any) => r.scopeSpans.flatMap((ss: any) => ss.spans));
      assert.equal(spans.length, 2);
      const serviceAttr = rs[0].resource.attributes.find((a: any) => a.key === 'service.name');
      assert.equal(serviceAttr.value.stringValue, s.service);
      assert.equal(rs[0].scopeSpans[0].scope.name, 'e2e');
      const v3child = spans.find((sp: any) => sp.name === 'charge card');
      assert.equal(v3child.status.code, 2);
      assert.equal(v3child.parentSpanId, root.spanID);
    }

    const search = await getJson(
      `${query}/api/traces?service=e2e-grpc&tags=${encodeURIComponent('{"error":"true"}')}&lookback=1h`,
    );
    assert.equal(search.status, 200);
    assert.deepEqual(
      search.body.data.map((t: any) => t.traceID),
      [sent[0].traceId],
    );

    const admin = skein.urls.get('admin');
    const ready = await fetch(`${admin}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(await skein.stop(), 0);
  });
});
