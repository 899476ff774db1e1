import type { SpanKind, StatusCode } from '../model/span.ts';
import type { SparseHistogram } from '../model/latency-histogram.ts';

/**
 * One series of span metrics over (part of) one minute, as the span-metrics processor
 * hands it to storage. Rows are deltas: rows of the same minute and series add up
 * (the processor writes what it counted since its last flush).
 */
export interface SpanMetricsRow {
  /** The tenant of the spans aggregated (`Resource.tenant`). */
  tenant: string;
  /** Start of the minute, µs since epoch (a multiple of 60,000,000). */
  minute: number;
  service: string;
  /** The span name (Jaeger's "operation"); `other` once the per-service limit is reached. */
  operation: string;
  kind: SpanKind;
  statusCode: StatusCode;
  calls: number;
  /** Sum of the durations, µs. */
  durationSum: number;
  /** The durations, in `model/latency-histogram.ts` buckets. */
  latency: SparseHistogram;
}

/**
 * Keeps span-metrics aggregates (Skein's RED without Prometheus).
 *
 * Contract: `writeSpanMetrics` resolves once the rows are durable (as `SpanWriter.write`)
 * and readers see them. It is not idempotent: each call adds its rows. Rows older
 * than the store's retention are purged with the spans. It does not keep the rows.
 */
export interface SpanMetricsWriter {
  writeSpanMetrics(rows: readonly SpanMetricsRow[]): Promise<void>;
}
