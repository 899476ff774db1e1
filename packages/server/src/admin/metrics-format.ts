/**
 * The two text formats `/metrics` speaks, and how a scrape's `Accept` header picks one.
 *
 * - `prometheus`: the Prometheus text format 0.0.4 (what `curl` and older scrapers get).
 * - `openmetrics`: OpenMetrics 1.0.0, which Prometheus asks for first. Only it carries
 *   exemplars; counter families are named without `_total` in `# TYPE` and the body
 *   ends with exactly one `# EOF`.
 */
export type MetricsFormat = 'prometheus' | 'openmetrics';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * Renders extra metric families for `/metrics` in the requested format: complete
 * families (`# HELP`, `# TYPE`, samples), each line ending in `\n`, never `# EOF`
 * (the admin server writes it); as a string or as UTF-8 bytes, which the admin
 * server sends before it calls the source again. Called once per scrape, synchronously.
 */
export type ExpositionSource = (format: MetricsFormat) => string | Uint8Array;

/**
 * The format to answer with: OpenMetrics when the `Accept` header lists
 * `application/openmetrics-text` (version 1.0.0, 0.0.1 or unspecified) with a quality
 * at least that of `text/plain` or a wildcard; otherwise the Prometheus text format.
 * Prometheus sends `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`.
 */
export function negotiateMetricsFormat(accept: string | undefined): MetricsFormat {
  if (accept === undefined || accept === '') return 'prometheus';
  let openMetricsQ = 0;
  let textQ = 0;
  for (const range of accept.split(',')) {
    const params = range.split(';');
    const type = params[0].trim().toLowerCase();
    let q = 1;
    let version = '';
    for (let i = 1; i < params.length; i++) {
      const eq = params[i].indexOf('=');
      if (eq === -1) continue;
      const name = params[i].slice(0, eq).trim().toLowerCase();
      const value = params[i].slice(eq + 1).trim();
      if (name === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? parsed : 0;
      } else if (name === 'version') {
        version = value;
      }
    }
    if (type === 'application/openmetrics-text') {
      if (version === '' || version === '1.0.0' || version === '0.0.1') {
        openMetricsQ = Math.max(openMetricsQ, q);
      }
    } else if (type === 'text/plain' || type === 'text/*' || type === '*/*') {
      textQ = Math.max(textQ, q);
    }
  }
  return openMetricsQ > 0 && openMetricsQ >= textQ ? 'openmetrics' : 'prometheus';
}

/** The `content-type` of a `/metrics` answer in `format`. */
export function metricsContentType(format: MetricsFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}

/** A label value escaped for both formats: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  // Most values need nothing; the test avoids three replace() copies per label.
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value as both formats write it (`NaN`, `+Inf`, `-Inf`, or the shortest decimal). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
