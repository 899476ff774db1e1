/**
 * Runs the real OpenTelemetry JS exporters (OTLP proto over HTTP, JSON over
 * HTTP, gRPC) against local servers on port 0 and returns the request bodies
 * they sent. Used live by the decoder tests (so a newer exporter version is
 * caught) and by scripts/capture-otlp-payloads.ts (saved fixtures).
 *
 * The spans come from a real tracer, with fixed ids and times so a re-capture
 * differs only where the exporters changed. They cover every attribute type the
 * exporters can produce (bytes and kvlist only exist on resources: the span API
 * rejects them), null array items (empty AnyValue), events, links with
 * attributes, a remote parent with trace state, nested parents, every span kind,
 * an error with a recorded exception, and dropped attribute/event/link counts.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { HrTime, Link } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface ExporterPayloads {
  /** @opentelemetry/exporter-trace-otlp-proto: OTLP/HTTP protobuf body. */
  proto: Uint8Array;
  /** @opentelemetry/exporter-trace-otlp-http: OTLP/HTTP JSON body. */
  json: Uint8Array;
  /** @opentelemetry/exporter-trace-otlp-grpc: the protobuf message of the gRPC call. */
  grpc: Uint8Array;
  /** How many spans each body carries. */
  spanCount: number;
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const T0 = 1_700_000_000;

function at(offsetNanos: number): HrTime {
  return [T0 + Math.floor(offsetNanos / 1e9), (offsetNanos % 1e9) + 123];
}

/** Deterministic ids: a counter, hex-encoded (never all zero). */
function counterIds() {
  let next = 1;
  const hex = (digits: number) => (next++).toString(16).padStart(digits, '0');
  return {
    generateTraceId: () => `4bf92f3577b34da6${hex(16)}`,
    generateSpanId: () => `00f067aa${hex(8)}`,
  };
}

/** Makes the spans every exporter sends. */
async function recordSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(
      {
        'service.name': 'capture-service',
        'service.version': '1.2.3',
        'host.name': 'capture-host',
        'process.pid': 4242,
        // Not allowed by the attribute API, but the exporters encode them.
        'capture.bytes': new Uint8Array([0, 1, 2, 0xfe, 0xff]) as unknown as string,
        'capture.kvlist': { nested: 'yes', depth: 2, inner: { ok: true } } as unknown as string,
      },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' },
    ),
    idGenerator: counterIds(),
    spanLimits: { attributeCountLimit: 16, eventCountLimit: 3, linkCountLimit: 2 },
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('skein-capture', '0.1.0', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
  });

  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=opaque,other=1'),
  });
  const server = tracer.startSpan(
    'GET /orders/{id}',
    {
      kind: SpanKind.SERVER,
      startTime: at(0),
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'http.route': '/orders/{id}',
        'capture.double': 0.25,
        'capture.negative': -7,
        'capture.large_int': 2 ** 53 + 2,
        'capture.bool': false,
        'capture.unicode': 'grüße 🌍 ok',
        'capture.empty': '',
        'capture.strings': ['a', 'b', ''],
        'capture.ints': [1, -2, 3],
        'capture.doubles': [1.5, -0.5],
        'capture.bools': [true, false],
        'capture.with_nulls': ['x', null, 'y'],
      },
    },
    remoteParent,
  );
  // Over the limit of 16 attributes: counted as dropped.
  server.setAttributes({ 'capture.extra.1': 1, 'capture.extra.2': 2, 'capture.extra.3': 3 });
  server.addEvent('request.received', { 'message.size': 512 }, at(1_000));
  server.addEvent('cache.miss', at(2_500));
  server.addEvent('retry', { attempt: 1 }, at(3_000));
  server.addEvent('over.limit', at(4_000));

  const serverContext = trace.setSpan(ROOT_CONTEXT, server);
  const client = tracer.startSpan(
    'SELECT orders',
    {
      kind: SpanKind.CLIENT,
      startTime: at(10_000),
      attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM orders' },
    },
    serverContext,
  );
  const failure = new Error('connection reset by peer');
  client.recordException(failure, at(20_000));
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset by peer' });
  client.end(at(30_000));

  const internal = tracer.startSpan('render', { startTime: at(31_000) }, serverContext);
  const grandchild = tracer.startSpan(
    'template',
    { kind: SpanKind.INTERNAL, startTime: at(31_500) },
    trace.setSpan(serverContext, internal),
  );
  grandchild.end(at(32_000));
  internal.setStatus({ code: SpanStatusCode.OK });
  internal.end(at(33_000));

  const links: Link[] = [
    { context: server.spanContext(), attributes: { 'link.kind': 'caused-by', weight: 2 } },
    { context: trace.getSpanContext(remoteParent)!, attributes: { remote: true } },
    { context: client.spanContext() },
  ];
  tracer
    .startSpan('orders publish', { kind: SpanKind.PRODUCER, startTime: at(34_000), links })
    .end(at(35_000));
  tracer
    .startSpan('orders process', { kind: SpanKind.CONSUMER, startTime: at(36_000) })
    .end(at(36_000));
  server.end(at(40_000));

  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    });
  });
}

/** An HTTP server that keeps the first body POSTed to /v1/traces with each content type. */
async function startHttpCollector() {
  const bodies = new Map<string, Uint8Array>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = req.headers['content-type'] ?? '';
      if (!bodies.has(type)) bodies.set(type, new Uint8Array(body));
      const json = type.startsWith('application/json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, bodies, server };
}

/** A gRPC server whose Export handler keeps the raw request message. */
async function startGrpcCollector() {
  const requests: Uint8Array[] = [];
  const identity = (b: Buffer) => b;
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Export: (
        call: grpc.ServerUnaryCall<Buffer, Buffer>,
        callback: grpc.sendUnaryData<Buffer>,
      ) => {
        requests.push(new Uint8Array(call.request));
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

/** Sends the same spans through the three exporters and returns what they sent. */
export async function captureExporterPayloads(): Promise<ExporterPayloads> {
  const spans = await recordSpans();
  const http = await startHttpCollector();
  const grpcCollector = await startGrpcCollector();
  const exporters: SpanExporter[] = [
    new ProtoExporter({ url: http.url }),
    new JsonExporter({ url: http.url }),
    new GrpcExporter({ url: grpcCollector.url }),
  ];
  try {
    for (const exporter of exporters) await exportWith(exporter, spans);
  } finally {
    await Promise.all(exporters.map((e) => e.shutdown()));
    http.server.close();
    grpcCollector.server.forceShutdown();
  }
  const proto = http.bodies.get('application/x-protobuf');
  const json = http.bodies.get('application/json');
  const grpcBody = grpcCollector.requests[0];
  if (proto === undefined || json === undefined || grpcBody === undefined) {
    const seen = [...http.bodies.keys()].join(', ');
    throw new Error(`an exporter sent nothing (HTTP content types seen: ${seen})`);
  }
  return { proto, json, grpc: grpcBody, spanCount: spans.length };
}
