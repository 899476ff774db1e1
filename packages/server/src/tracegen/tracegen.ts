import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span as ApiSpan,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { CountingExporter } from './counting-exporter.ts';
import { createRandom, planTrace, plannedServices, type PlannedKind } from './trace-plan.ts';

export type TracegenProtocol = 'grpc' | 'http/protobuf' | 'http/json';

export interface TracegenOptions {
  /** Base endpoint: `http://localhost:4318` for HTTP, `http://localhost:4317` for gRPC. */
  endpoint: string;
  protocol: TracegenProtocol;
  /** Traces per second. */
  rate: number;
  /** Stop after this many traces (0 = no limit). */
  count: number;
  /** Stop after this many seconds (0 = no limit). */
  durationSeconds: number;
  seed: number;
  /** Called about once a second with the running totals. */
  onProgress?: (p: TracegenProgress) => void;
}

export interface TracegenProgress {
  traces: number;
  spans: number;
  exportedSpans: number;
  failedSpans: number;
  elapsedSeconds: number;
  lastError: string;
}

const KINDS: Record<PlannedKind, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

function createExporter(opts: TracegenOptions): SpanExporter {
  const base = opts.endpoint.replace(/\/+$/, '');
  switch (opts.protocol) {
    case 'grpc':
      return new GrpcExporter({ url: base });
    case 'http/json':
      return new JsonExporter({ url: `${base}/v1/traces` });
    default:
      return new ProtoExporter({ url: `${base}/v1/traces` });
  }
}

/**
 * Sends synthetic traces through the OpenTelemetry JS SDK and the real OTLP exporter,
 * one tracer provider per service (each with its own resource), at a steady rate.
 * Resolves with the totals once every span was exported or failed.
 */
export async function runTracegen(
  opts: TracegenOptions,
  signal?: AbortSignal,
): Promise<TracegenProgress> {
  const exporter = new CountingExporter(createExporter(opts));
  const providers = new Map<string, BasicTracerProvider>();
  const tracers = new Map<string, Tracer>();
  for (const service of plannedServices()) {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'service.version': '1.4.2',
        'service.instance.id': `${service}-${Math.floor(opts.seed % 97)}`,
        'deployment.environment.name': 'demo',
        'host.name': `node-${service.length % 3}`,
        'telemetry.sdk.language': 'nodejs',
      }),
      spanProcessors: [
        new BatchSpanProcessor(exporter, {
          maxQueueSize: 100_000,
          maxExportBatchSize: 2048,
          scheduledDelayMillis: 200,
        }),
      ],
    });
    providers.set(service, provider);
    tracers.set(service, provider.getTracer('skein-tracegen', '0.1.0'));
  }

  const random = createRandom(opts.seed);
  const started = Date.now();
  let traces = 0;
  let spans = 0;
  const progress = (): TracegenProgress => ({
    traces,
    spans,
    exportedSpans: exporter.exported,
    failedSpans: exporter.failed,
    elapsedSeconds: (Date.now() - started) / 1000,
    lastError: exporter.lastError,
  });
  const progressTimer = setInterval(() => opts.onProgress?.(progress()), 1000);

  const done = () =>
    signal?.aborted === true ||
    (opts.count > 0 && traces >= opts.count) ||
    (opts.durationSeconds > 0 && Date.now() - started >= opts.durationSeconds * 1000);
  try {
    while (!done()) {
      // Emit what the rate allows so far, then wait for the next tick of the clock.
      const due = Math.floor(((Date.now() - started) / 1000) * opts.rate) + 1;
      while (traces < due && !done()) {
        spans += emitTrace(tracers, random);
        traces++;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    clearInterval(progressTimer);
    for (const provider of providers.values()) await provider.forceFlush();
    for (const provider of providers.values()) await provider.shutdown();
  }
  const result = progress();
  opts.onProgress?.(result);
  return result;
}

function emitTrace(tracers: Map<string, Tracer>, random: () => number): number {
  const plan = planTrace(random);
  const traceStartMs = Date.now() - plan[0].duration / 1000;
  const created: ApiSpan[] = [];
  for (const planned of plan) {
    const tracer = tracers.get(planned.service);
    if (tracer === undefined) throw new Error(`tracegen: no tracer for ${planned.service}`);
    const parentCtx =
      planned.parent < 0
        ? context.active()
        : trace.setSpan(context.active(), created[planned.parent]);
    const span = tracer.startSpan(
      planned.name,
      {
        kind: KINDS[planned.kind],
        startTime: traceStartMs + planned.start / 1000,
        attributes: planned.attributes,
      },
      parentCtx,
    );
    for (const event of planned.events) {
      span.addEvent(
        event.name,
        event.attributes,
        traceStartMs + (planned.start + event.offset) / 1000,
      );
    }
    if (planned.error !== null)
      span.setStatus({ code: SpanStatusCode.ERROR, message: planned.error });
    created.push(span);
  }
  for (let i = created.length - 1; i >= 0; i--) {
    created[i].end(traceStartMs + (plan[i].start + plan[i].duration) / 1000);
  }
  return plan.length;
}
