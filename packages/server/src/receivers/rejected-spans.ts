import type { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import type { DecodeResult } from './decode-result.ts';

/**
 * Counts a decode result's rejected spans on /metrics under their reason:
 * `skein_spans_refused_total{reason="invalid_time"}` for unusable times,
 * `{reason="invalid"}` for the rest (ids...).
 */
export function countRejectedSpans(
  metrics: IngestMetrics,
  protocol: string,
  result: DecodeResult,
): void {
  if (result.rejectedSpans === 0) return;
  const times = result.invalidTimeSpans ?? 0;
  metrics.invalidSpans(protocol, result.rejectedSpans - times);
  metrics.invalidSpans(protocol, times, 'invalid_time');
}
