import { randomBytes } from 'node:crypto';
import { context, trace, type Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/*
 * Load for the durability tests: clients that send as fast as the server takes and
 * remember exactly which spans the server acknowledged (200 / OK). A span the server
 * never acknowledged may or may not be stored; an acknowledged one must be, once.
 */

/** Acknowledged spans: trace id → span ids. */
export type Acked = Map<string, Set<string>>;

function note(acked: Acked, traceId: string, spanId: string): void {
  let spans = acked.get(traceId);
  if (spans === undefined) acked.set(traceId, (spans = new Set()));
  spans.add(spanId);
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * A raw OTLP/HTTP JSON sender: each request is one trace of `spansPerTrace` spans,
 * sent back to back (`parallel` requests in flight) until `stop()`.
 */
export class RawLoad {
  readonly acked: Acked = new Map();
  requests = 0;
  ackedRequests = 0;
  refused = 0;
  #running = false;
  #loops: Promise<void>[] = [];
  #onAck: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly spansPerTrace = 50,
    private readonly parallel = 4,
  ) {}

  start(): void {
    this.#running = true;
    for (let i = 0; i < this.parallel; i++) this.#loops.push(this.#loop());
  }

  /** Resolves once `n` more requests were acknowledged. */
  acks(n: number): Promise<void> {
    const target = this.ackedRequests + n;
    return new Promise((resolve) => {
      this.#onAck = () => {
        if (this.ackedRequests >= target) resolve();
      };
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const traceId = hex(16);
      const now = Date.now() * 1_000_000;
      const spanIds = Array.from({ length: this.spansPerTrace }, () => hex(8));
      const spans = spanIds.map((spanId, i) => ({
        traceId,
        spanId,
        parentSpanId: i === 0 ? '' : spanIds[0],
        name: i === 0 ? 'GET /raw' : `step ${i}`,
        kind: i === 0 ? 2 : 1,
        startTimeUnixNano: String(now + i * 1000),
        endTimeUnixNano: String(now + i * 1000 + 500_000),
        attributes: [{ key: 'load.index', value: { intValue: String(i) } }],
      }));
      const body = JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-load' } }] },
            scopeSpans: [{ scope: { name: 'kill-test' }, spans }],
          },
        ],
      });
      this.requests++;
      let ok = false;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        ok = res.status === 200;
        if (!ok) this.refused++;
      } catch {
        // Connection refused or reset: the server died. Not acknowledged.
      }
      if (ok) {
        for (const s of spanIds) note(this.acked, traceId, s);
        this.ackedRequests++;
        this.#onAck?.();
      } else if (this.#running) {
        // Not acknowledged (server dead or refusing): try again with new spans, without spinning.
        await new Promise((r) => setImmediate(r));
      }
    }
  }
}

/** Wraps the real OTLP exporter to learn which exported spans it saw acknowledged. */
class RecordingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly acked: Acked,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === 0) {
        for (const s of spans) note(this.acked, s.spanContext().traceId, s.spanContext().spanId);
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * The OpenTelemetry JS SDK as an app runs it (BatchSpanProcessor → OTLP/HTTP protobuf
 * exporter), making traces of a root and four children until `stop()`.
 */
export class OtelLoad {
  readonly #provider: BasicTracerProvider;
  readonly #tracer: Tracer;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly acked: Acked,
  ) {
    const exporter = new RecordingExporter(
      new OTLPTraceExporter({ url, timeoutMillis: 5_000 }),
      acked,
    );
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otel-load' }),
      spanProcessors: [
        new BatchSpanProcessor(exporter, {
          maxExportBatchSize: 512,
          scheduledDelayMillis: 20,
          maxQueueSize: 4096,
        }),
      ],
    });
    this.#tracer = this.#provider.getTracer('kill-test');
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        for (let t = 0; t < 10; t++) {
          const root = this.#tracer.startSpan('GET /otel');
          const ctx = trace.setSpan(context.active(), root);
          for (let i = 0; i < 4; i++) this.#tracer.startSpan(`child ${i}`, {}, ctx).end();
          root.end();
        }
        // Pacing (an app makes spans as requests come), not synchronisation.
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }

  /** Stops making spans and shuts the SDK down (what was queued is exported or fails). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.#provider.shutdown().catch(() => {});
  }
}
