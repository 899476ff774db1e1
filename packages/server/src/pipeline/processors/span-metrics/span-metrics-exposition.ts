import type { MetricsFormat } from '../../../admin/metrics-format.ts';
import type { SpanMetricsProcessor } from './span-metrics-processor.ts';
import type { SpanMetricsSeries } from './span-metrics-series.ts';

/** The spanmetrics connector's names as the collector's Prometheus exporter writes them. */
export const CALLS_FAMILY = 'traces_span_metrics_calls';
export const DURATION_FAMILY = 'traces_span_metrics_duration_milliseconds';

/**
 * Renders a span-metrics processor's series for `/metrics`, in the families and labels
 * of the OpenTelemetry spanmetrics connector behind the collector's Prometheus
 * exporter (what Grafana dashboards and Jaeger SPM query):
 *
 * ```
 * traces_span_metrics_calls_total{service_name,span_name,span_kind,status_code}
 * traces_span_metrics_duration_milliseconds_bucket{...,le} / _sum / _count
 * ```
 *
 * plus Skein's own `skein_span_metrics_*` families (overflow, series, store backlog).
 * In OpenMetrics, counter families are typed without `_total`, `le` values are
 * canonical floats (`2.0`, as the collector's exporter writes them) and, when
 * `exemplars` is on, each bucket carries its latest span (`trace_id`, `span_id`,
 * duration in ms, time) and each calls sample the latest span of its series.
 * No `# EOF`: the admin server ends the body.
 */
export function renderSpanMetrics(processor: SpanMetricsProcessor, format: MetricsFormat): string {
  const openMetrics = format === 'openmetrics';
  const exemplars = openMetrics && processor.settings.exemplars;
  const bucketsMs = processor.settings.bucketsMs;
  const le: string[] = [];
  for (const bound of bucketsMs) le.push(openMetrics ? canonicalFloat(bound) : String(bound));
  le.push('+Inf');
  const series = processor.series;
  const callsFamily = openMetrics ? CALLS_FAMILY : `${CALLS_FAMILY}_total`;

  const parts: string[] = [];
  parts.push(
    `# HELP ${callsFamily} Spans counted per service, span name, span kind and status code.\n`,
    `# TYPE ${callsFamily} counter\n`,
  );
  for (const s of series) {
    let line = `${CALLS_FAMILY}_total{${s.labels}} ${s.calls}`;
    if (exemplars && s.lastExemplarBucket >= 0) line += exemplar(s, s.lastExemplarBucket, 1);
    parts.push(line + '\n');
  }

  parts.push(
    `# HELP ${DURATION_FAMILY} Span durations in milliseconds per service, span name, span kind and status code.\n`,
    `# TYPE ${DURATION_FAMILY} histogram\n`,
  );
  for (const s of series) {
    const counts = s.bucketCounts;
    let cumulative = 0;
    for (let b = 0; b < counts.length; b++) {
      cumulative += counts[b];
      let line = `${DURATION_FAMILY}_bucket{${s.labels},le="${le[b]}"} ${cumulative}`;
      if (exemplars && counts[b] > 0 && s.exemplarTraceIds !== undefined) {
        line += exemplar(s, b, (s.exemplarValues as Float64Array)[b]);
      }
      parts.push(line + '\n');
    }
    parts.push(
      `${DURATION_FAMILY}_sum{${s.labels}} ${s.durationSumUs / 1000}\n`,
      `${DURATION_FAMILY}_count{${s.labels}} ${s.histogramCount}\n`,
    );
  }

  const counter = (name: string): string => (openMetrics ? name : `${name}_total`);
  parts.push(
    `# HELP ${counter('skein_span_metrics_overflow')} Spans counted under "other" because a cardinality limit was reached (dimension: service or operation).\n`,
    `# TYPE ${counter('skein_span_metrics_overflow')} counter\n`,
    `skein_span_metrics_overflow_total{dimension="service"} ${processor.serviceOverflow}\n`,
    `skein_span_metrics_overflow_total{dimension="operation"} ${processor.operationOverflow}\n`,
    '# HELP skein_span_metrics_series Span-metrics series (service, span name, span kind, status code) tracked.\n',
    '# TYPE skein_span_metrics_series gauge\n',
    `skein_span_metrics_series ${series.length}\n`,
    '# HELP skein_span_metrics_rows_pending Per-minute span-metrics rows waiting to be written to the store.\n',
    '# TYPE skein_span_metrics_rows_pending gauge\n',
    `skein_span_metrics_rows_pending ${processor.rowsPending}\n`,
    `# HELP ${counter('skein_span_metrics_write_errors')} Failed writes of per-minute span-metrics rows to the store.\n`,
    `# TYPE ${counter('skein_span_metrics_write_errors')} counter\n`,
    `skein_span_metrics_write_errors_total ${processor.writeErrors}\n`,
    `# HELP ${counter('skein_span_metrics_rows_dropped')} Per-minute span-metrics rows dropped because the store kept failing.\n`,
    `# TYPE ${counter('skein_span_metrics_rows_dropped')} counter\n`,
    `skein_span_metrics_rows_dropped_total ${processor.rowsDropped}\n`,
  );
  return parts.join('');
}

/** ` # {trace_id="…",span_id="…"} value seconds` (OpenMetrics exemplar of bucket `b`). */
function exemplar(s: SpanMetricsSeries, b: number, value: number): string {
  const traceId = (s.exemplarTraceIds as string[])[b];
  if (traceId === '') return '';
  const spanId = (s.exemplarSpanIds as string[])[b];
  const seconds = (s.exemplarTimes as Float64Array)[b] / 1000;
  // Ids are hex strings from the decoders: nothing in them needs escaping.
  return ` # {trace_id="${traceId}",span_id="${spanId}"} ${value} ${seconds}`;
}

/** OpenMetrics canonical number: integers get `.0` (`2.0`, not `2`). */
function canonicalFloat(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? `${value}.0` : String(value);
}
