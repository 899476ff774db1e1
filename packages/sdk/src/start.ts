import { register } from 'node:module';
import { trace, type Tracer } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TextMapPropagator } from '@opentelemetry/api';
import { LeakCheck, type LeakedSpan } from './async/leak-check.ts';
import { dataInstrumentations } from './data/data-instrumentations.ts';
import { frameworkInstrumentations } from './framework/framework-instrumentations.ts';
import type { PropagatorName, SkeinOptions } from './kit-options.ts';
import { protocolInstrumentations } from './protocol/protocol-instrumentations.ts';
import { DEFAULT_REDACTION } from './redaction/redaction-config.ts';
import { RedactingSpanProcessor } from './redaction/redacting-span-processor.ts';
import { RedactionRules } from './redaction/redaction-rules.ts';
import { RemoteSampler } from './sampling/remote-sampler.ts';

/** What {@link start} returns: the running kit. */
export interface SkeinKit {
  readonly service: string;
  /** A tracer named after the service. */
  readonly tracer: Tracer;
  /** The remote sampler, or null when remote sampling is off. */
  readonly sampler: RemoteSampler | null;
  /** Exports every ended span now; resolves once Skein acknowledged them (or export failed). */
  forceFlush(): Promise<void>;
  /**
   * Flushes and stops the SDK. With `leakCheck`, reports (on stderr) and returns the
   * spans started and never ended. Idempotent: later calls return the first result.
   */
  shutdown(): Promise<LeakedSpan[]>;
}

let running: SkeinKit | null = null;
let hookRegistered = false;

/**
 * Starts OpenTelemetry for this process with Skein's defaults: OTLP/HTTP protobuf
 * export to Skein with a bounded batch queue, W3C trace context + baggage (B3 and
 * Jaeger on request), Skein's remote sampler, the four instrumentation layers, SDK-side
 * redaction, graceful flush on exit. Call it before the modules it instruments are
 * imported (or use `node --import @skein/node/register`). A second call returns the
 * running kit when the service matches and throws otherwise.
 */
export function start(options: SkeinOptions): SkeinKit {
  if (!options.service)
    throw new Error('@skein/node start(): give { service } or set OTEL_SERVICE_NAME');
  if (running !== null) {
    if (running.service === options.service) return running;
    throw new Error(
      `@skein/node is already started for service "${running.service}" in this process`,
    );
  }
  if (options.esmHook !== false && !hookRegistered) {
    // Patch modules loaded with `import` too (import-in-the-middle); see esmHook.
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
    hookRegistered = true;
  }
  const endpoint = (options.endpoint ?? 'http://localhost:4318').replace(/\/+$/, '');
  const samplingEndpoint =
    options.samplingEndpoint === undefined ? 'http://localhost:5778' : options.samplingEndpoint;
  const sampler =
    samplingEndpoint === false
      ? null
      : new RemoteSampler(
          samplingEndpoint,
          options.service,
          options.samplingRatio ?? 1,
          options.samplingPollMs ?? 60_000,
        );

  const processors: SpanProcessor[] = [];
  const rules = new RedactionRules(options.redaction ?? DEFAULT_REDACTION);
  if (rules.active) processors.push(new RedactingSpanProcessor(rules));
  const leaks = options.leakCheck ? new LeakCheck() : null;
  if (leaks !== null) processors.push(leaks);
  processors.push(
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }), {
      maxQueueSize: options.maxQueueSize ?? 2048,
      maxExportBatchSize: options.maxExportBatchSize ?? 512,
      scheduledDelayMillis: options.scheduledDelayMillis ?? 1000,
    }),
  );

  const ignore = [endpoint];
  if (samplingEndpoint !== false) ignore.push(samplingEndpoint.replace(/\/+$/, ''));
  // The kit sends traces; metrics and logs stay off unless the app asks for them.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': options.service,
      ...options.resourceAttributes,
    }),
    sampler: sampler ?? undefined,
    spanProcessors: processors,
    textMapPropagator: propagator(options.propagators ?? ['tracecontext', 'baggage']),
    instrumentations: [
      ...protocolInstrumentations(options.requestIdHeader ?? 'x-request-id', ignore),
      ...frameworkInstrumentations(),
      ...dataInstrumentations(),
      ...(options.instrumentations ?? []),
    ],
  });
  if (sampler === null) {
    // NodeSDK reads OTEL_TRACES_SAMPLER when no sampler is given; the ratio applies instead.
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = String(options.samplingRatio ?? 1);
  }
  sdk.start();

  let stopped: Promise<LeakedSpan[]> | null = null;
  const kit: SkeinKit = {
    service: options.service,
    tracer: trace.getTracer(options.service),
    sampler,
    async forceFlush() {
      await Promise.all(processors.map((p) => p.forceFlush()));
    },
    shutdown() {
      stopped ??= (async () => {
        sampler?.shutdown();
        const leaked = leaks?.report() ?? [];
        try {
          await sdk.shutdown();
        } catch (err) {
          // The last flush failed (Skein unreachable): say so once; exiting must not fail.
          process.stderr.write(
            `@skein/node: final flush to ${endpoint} failed: ${(err as Error).message}\n`,
          );
        }
        running = null;
        return leaked;
      })();
      return stopped;
    },
  };
  running = kit;
  if (options.shutdownOnExit !== false) onExit(kit);
  return kit;
}

function propagator(names: PropagatorName[]): TextMapPropagator {
  const list: TextMapPropagator[] = names.map((n) => {
    switch (n) {
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
      case 'b3':
        return new B3Propagator();
      case 'b3multi':
        return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
      case 'jaeger':
        return new JaegerPropagator();
    }
  });
  return new CompositePropagator({ propagators: list });
}

function onExit(kit: SkeinKit): void {
  const stop = (signal: NodeJS.Signals): void => {
    void kit.shutdown().finally(() => {
      // Re-raise so the default behaviour (exit with the signal) still happens when
      // nobody else listens.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('beforeExit', () => void kit.shutdown());
}
