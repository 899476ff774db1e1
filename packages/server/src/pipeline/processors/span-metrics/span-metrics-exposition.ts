import type { MetricsFormat } from '../../../admin/metrics-format.ts';
import type { SpanMetricsProcessor } from './span-metrics-processor.ts';
import type { SpanMetricsSeries } from './span-metrics-series.ts';
import { TextBuffer } from './text-buffer.ts';

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
export function renderSpanMetrics(processor: SpanMetricsProcessor, format: MetricsFormat): Buffer {
  const openMetrics = format === 'openmetrics';
  const exemplars = openMetrics && processor.settings.exemplars;
  const le: Buffer[] = [];
  for (const bound of processor.settings.bucketsMs) {
    le.push(Buffer.from(`,le="${openMetrics ? canonicalFloat(bound) : String(bound)}"} `));
  }
  le.push(Buffer.from(',le="+Inf"} '));
  const series = processor.series;
  // About 20 lines of ~220 bytes per series; the buffer grows if needed.
  const out = new TextBuffer(Math.max(64 * 1024, series.length * 20 * 256));
  const callsFamily = openMetrics ? CALLS_FAMILY : `${CALLS_FAMILY}_total`;

  out.ascii(
    `# HELP ${callsFamily} Spans counted per service, span name, span kind and status code.\n`,
  );
  out.ascii(`# TYPE ${callsFamily} counter\n`);
  for (const s of series) {
    out.raw(CALLS_SAMPLE);
    out.raw(s.labelBytes);
    out.raw(CLOSE_BRACE_SPACE);
    out.number(s.calls);
    if (exemplars && s.lastExemplarBucket >= 0) exemplar(out, s, s.lastExemplarBucket, false);
    out.raw(NEWLINE);
  }

  out.ascii(
    `# HELP ${DURATION_FAMILY} Span durations in milliseconds per service, span name, span kind and status code.\n`,
  );
  out.ascii(`# TYPE ${DURATION_FAMILY} histogram\n`);
  for (const s of series) {
    const counts = s.bucketCounts;
    let cumulative = 0;
    for (let b = 0; b < counts.length; b++) {
      cumulative += counts[b];
      out.raw(BUCKET_SAMPLE);
      out.raw(s.labelBytes);
      out.raw(le[b]);
      out.number(cumulative);
      if (exemplars && counts[b] > 0 && s.exemplarTraceIds !== undefined) {
        exemplar(out, s, b, true);
      }
      out.raw(NEWLINE);
    }
    out.raw(SUM_SAMPLE);
    out.raw(s.labelBytes);
    out.raw(CLOSE_BRACE_SPACE);
    out.thousandths(s.durationSumUs);
    out.raw(NEWLINE);
    out.raw(COUNT_SAMPLE);
    out.raw(s.labelBytes);
    out.raw(CLOSE_BRACE_SPACE);
    out.number(s.histogramCount);
    out.raw(NEWLINE);
  }

  const counter = (name: string): string => (openMetrics ? name : `${name}_total`);
  out.text(
    `# HELP ${counter('skein_span_metrics_overflow')} Spans counted under "other" because a cardinality limit was reached (dimension: service or operation).\n` +
      `# TYPE ${counter('skein_span_metrics_overflow')} counter\n` +
      `skein_span_metrics_overflow_total{dimension="service"} ${processor.serviceOverflow}\n` +
      `skein_span_metrics_overflow_total{dimension="operation"} ${processor.operationOverflow}\n` +
      '# HELP skein_span_metrics_series Span-metrics series (service, span name, span kind, status code) tracked.\n' +
      '# TYPE skein_span_metrics_series gauge\n' +
      `skein_span_metrics_series ${series.length}\n` +
      '# HELP skein_span_metrics_rows_pending Per-minute span-metrics rows waiting to be written to the store.\n' +
      '# TYPE skein_span_metrics_rows_pending gauge\n' +
      `skein_span_metrics_rows_pending ${processor.rowsPending}\n` +
      `# HELP ${counter('skein_span_metrics_write_errors')} Failed writes of per-minute span-metrics rows to the store.\n` +
      `# TYPE ${counter('skein_span_metrics_write_errors')} counter\n` +
      `skein_span_metrics_write_errors_total ${processor.writeErrors}\n` +
      `# HELP ${counter('skein_span_metrics_rows_dropped')} Per-minute span-metrics rows dropped because the store kept failing.\n` +
      `# TYPE ${counter('skein_span_metrics_rows_dropped')} counter\n` +
      `skein_span_metrics_rows_dropped_total ${processor.rowsDropped}\n`,
  );
  return out.bytes();
}

const CALLS_SAMPLE = Buffer.from(`${CALLS_FAMILY}_total{`);
const BUCKET_SAMPLE = Buffer.from(`${DURATION_FAMILY}_bucket{`);
const SUM_SAMPLE = Buffer.from(`${DURATION_FAMILY}_sum{`);
const COUNT_SAMPLE = Buffer.from(`${DURATION_FAMILY}_count{`);
const CLOSE_BRACE_SPACE = Buffer.from('} ');
const NEWLINE = Buffer.from('\n');
const EXEMPLAR_TRACE = Buffer.from(' # {trace_id="');
const EXEMPLAR_SPAN = Buffer.from('",span_id="');
const EXEMPLAR_END = Buffer.from('"} ');
const CALL_VALUE = Buffer.from('1 ');
const SPACE = Buffer.from(' ');

/**
 * ` # {trace_id="…",span_id="…"} value seconds`: the exemplar of bucket `b`, valued
 * at its span's duration in ms (`duration`) or 1 (a call).
 */
function exemplar(out: TextBuffer, s: SpanMetricsSeries, b: number, duration: boolean): void {
  const traceId = (s.exemplarTraceIds as string[])[b];
  if (traceId === '') return;
  // Ids are lowercase hex from the decoders: nothing in them needs escaping.
  out.raw(EXEMPLAR_TRACE);
  out.ascii(traceId);
  out.raw(EXEMPLAR_SPAN);
  out.ascii((s.exemplarSpanIds as string[])[b]);
  out.raw(EXEMPLAR_END);
  if (duration) {
    out.thousandths((s.exemplarDurationsUs as Float64Array)[b]);
    out.raw(SPACE);
  } else {
    out.raw(CALL_VALUE);
  }
  out.thousandths((s.exemplarTimes as Float64Array)[b]);
}

/** OpenMetrics canonical number: integers get `.0` (`2.0`, not `2`). */
function canonicalFloat(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? `${value}.0` : String(value);
}
