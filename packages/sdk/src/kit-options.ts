import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Attributes } from '@opentelemetry/api';
import type { RedactionConfig } from './redaction/redaction-config.ts';

/** Propagation formats `start` can install, in the order given. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger';

/** Options of {@link start}. Every field has an `OTEL_*` / `SKEIN_*` environment equivalent (see README). */
export interface SkeinOptions {
  /** `service.name` of this process (`OTEL_SERVICE_NAME`). Required. */
  service: string;
  /** Extra resource attributes (merged over the detected ones, `OTEL_RESOURCE_ATTRIBUTES`). */
  resourceAttributes?: Attributes;
  /**
   * Base URL of Skein's OTLP/HTTP receiver (`OTEL_EXPORTER_OTLP_ENDPOINT`, default
   * `http://localhost:4318`); spans go to `<endpoint>/v1/traces` as protobuf.
   */
  endpoint?: string;
  /**
   * Base URL of Skein's remote sampling port (`SKEIN_SAMPLING_ENDPOINT`, default
   * `http://localhost:5778`), polled for this service's strategy; `false` samples with
   * `samplingRatio` alone (`SKEIN_SAMPLING_ENDPOINT=off`).
   */
  samplingEndpoint?: string | false;
  /** How often the strategy is polled, ms (default 60000). */
  samplingPollMs?: number;
  /**
   * Ratio of new traces sampled before the first strategy arrives, or always when
   * remote sampling is off (`SKEIN_SAMPLING_RATIO`, default 1). Parent-based: a
   * request that arrives sampled is recorded.
   */
  samplingRatio?: number;
  /** Propagators (`OTEL_PROPAGATORS`), default `['tracecontext', 'baggage']`. */
  propagators?: PropagatorName[];
  /**
   * Request-id header aligned with the trace (`SKEIN_REQUEST_ID_HEADER`, default
   * `x-request-id`; `false` turns it off): recorded on server spans, set to the trace
   * id on outgoing requests that have none.
   */
  requestIdHeader?: string | false;
  /** SDK-side redaction, the server's rule format (default: SQL literals and URL secrets). */
  redaction?: RedactionConfig;
  /** Report spans started and never ended at shutdown (`SKEIN_LEAK_CHECK=1`; default off). */
  leakCheck?: boolean;
  /** Batch export: queue bound (spans dropped past it), default 2048. */
  maxQueueSize?: number;
  /** Batch export: spans per request, default 512. */
  maxExportBatchSize?: number;
  /** Batch export: delay between exports, ms, default 1000. */
  scheduledDelayMillis?: number;
  /** Flush and shut down on SIGTERM / SIGINT / beforeExit (default true). */
  shutdownOnExit?: boolean;
  /**
   * Register import-in-the-middle's loader hook so modules loaded with `import`
   * (`import http from 'node:http'`, ESM apps) are patched, not only those loaded with
   * `require` (`SKEIN_ESM_HOOK=0` turns it off; default on). A CommonJS app may turn
   * it off.
   */
  esmHook?: boolean;
  /** More instrumentations to enable besides the kit's. */
  instrumentations?: Instrumentation[];
}
