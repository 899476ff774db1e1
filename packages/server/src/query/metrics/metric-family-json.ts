import type { MetricSeries } from '../../storage/metrics-reader.ts';

/**
 * Jaeger's `jaeger.api_v2.metrics.MetricFamily` (proto/metrics/openmetrics.proto) as the
 * query service writes it: protobuf JSON (jsonpb) with camelCase names, the enum by
 * name, `google.protobuf.Timestamp` as an RFC 3339 string in UTC, and NaN / ±Infinity
 * doubles as the strings "NaN", "Infinity", "-Infinity". Jaeger UI's Monitor tab reads
 * `metrics[i].labels` (the service from `labels[0].value`, the operation from the label
 * named `operation`) and `metricPoints[j].gaugeValue.doubleValue` / `.timestamp`; a
 * value that is not a number becomes a gap in its charts.
 *
 * One difference from jsonpb: an empty `metrics` is written as `[]` instead of being
 * left out, because Jaeger UI's service charts read `metrics[0]` without a guard.
 */
export interface MetricFamilyJson {
  name: string;
  type: 'GAUGE';
  help: string;
  metrics: MetricJson[];
}

export interface MetricJson {
  labels: { name: string; value: string }[];
  metricPoints: MetricPointJson[];
}

export interface MetricPointJson {
  gaugeValue: { doubleValue: number | 'NaN' | 'Infinity' | '-Infinity' };
  timestamp: string;
}

/** jsonpb's rendering of a double. */
function doubleJson(v: number): number | 'NaN' | 'Infinity' | '-Infinity' {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * A `google.protobuf.Timestamp` in protobuf JSON: `2026-01-02T15:04:05Z`, with 3, 6 or 9
 * fractional digits only when the time has a fraction of a second (as jsonpb writes it).
 * @param micros µs since epoch
 */
export function timestampJson(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const seconds = iso.slice(0, 19);
  const fraction = Math.round(micros - Math.floor(micros / 1e6) * 1e6); // µs in the second
  if (fraction === 0) return seconds + 'Z';
  if (fraction % 1000 === 0) return `${seconds}.${String(fraction / 1000).padStart(3, '0')}Z`;
  return `${seconds}.${String(fraction).padStart(6, '0')}Z`;
}

/** A `MetricFamily` of gauges, one metric per series: labels `service_name` then `operation`. */
export function metricFamilyJson(
  name: string,
  help: string,
  series: readonly MetricSeries[],
): MetricFamilyJson {
  const metrics: MetricJson[] = [];
  for (const s of series) {
    const labels = [{ name: 'service_name', value: s.service }];
    if (s.operation !== undefined) labels.push({ name: 'operation', value: s.operation });
    const metricPoints: MetricPointJson[] = [];
    for (const p of s.points) {
      metricPoints.push({
        gaugeValue: { doubleValue: doubleJson(p.value) },
        timestamp: timestampJson(p.time),
      });
    }
    metrics.push({ labels, metricPoints });
  }
  return { name, type: 'GAUGE', help, metrics };
}
