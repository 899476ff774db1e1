import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { start } from '@skein/node';

/** `naive`: the OTel auto-instrumentations alone. `kit`: @skein/node. */
export type Mode = 'naive' | 'kit';

/** What a service needs from its tracing setup. */
export interface Telemetry {
  mode: Mode;
  tracer: Tracer;
  /** Exports what has ended, then stops. */
  shutdown(): Promise<void>;
}

/** Where a service process sends spans, from the runner. */
export interface TelemetryEnv {
  service: string;
  mode: Mode;
  otlp: string;
  sampling: string;
}

/**
 * Starts tracing for one demo process. Both modes export to the same Skein with the
 * same batching and name services `<mode>-<name>`, so one Skein can hold both runs.
 */
export function startTelemetry(env: TelemetryEnv): Telemetry {
  const service = `${env.mode}-${env.service}`;
  if (env.mode === 'kit') {
    const kit = start({
      service,
      endpoint: env.otlp,
      samplingEndpoint: env.sampling,
      scheduledDelayMillis: 200,
      shutdownOnExit: false,
    });
    return { mode: 'kit', tracer: kit.tracer, shutdown: async () => void (await kit.shutdown()) };
  }
  // What a team writes first: the SDK and the auto-instrumentations for what it uses.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${env.otlp}/v1/traces` }), {
        scheduledDelayMillis: 200,
      }),
    ],
    instrumentations: [
      new HttpInstrumentation(),
      new UndiciInstrumentation(),
      new GrpcInstrumentation(),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }) as never,
      new PgInstrumentation(),
    ],
  });
  sdk.start();
  return { mode: 'naive', tracer: trace.getTracer(service), shutdown: () => sdk.shutdown() };
}
