import { InvalidParameterError } from '../../errors.ts';
import { SpanKind } from '../../model/span.ts';
import type { MetricsQuery } from '../../storage/metrics-reader.ts';
import { firstParam, parseBoolParam, parseIntegerParam } from '../query-params.ts';
import type { QueryString } from '../query-params.ts';

/**
 * The parameters of Jaeger's SPM API (`/api/metrics/{calls,errors,latencies}`), with
 * Jaeger's names, units and defaults (its query service's `parseMetricsQueryParams`):
 *
 * | parameter | meaning | default |
 * | --- | --- | --- |
 * | `service` (repeated, required) | services, OR'ed | — |
 * | `groupByOperation` | one series per operation | false |
 * | `spanKind` (repeated) | `unspecified`, `internal`, `server`, `client`, `producer`, `consumer` (any case), OR'ed | server |
 * | `endTs` | end of the range, ms since epoch | now |
 * | `lookback` | length of the range, ms | 3600000 |
 * | `step` | distance between points, ms | 5000 |
 * | `ratePer` | rate window, ms | 600000 |
 * | `quantile` (latencies, required) | 0 < q ≤ 1 | — |
 *
 * Stricter than Jaeger where Jaeger would pass nonsense to its backend: `step` and
 * `ratePer` must be positive and `lookback` not negative.
 */

export const DEFAULT_LOOKBACK_MS = 3_600_000;
export const DEFAULT_STEP_MS = 5_000;
export const DEFAULT_RATE_PER_MS = 600_000;

const SPAN_KINDS: Record<string, SpanKind> = {
  unspecified: SpanKind.Unspecified,
  internal: SpanKind.Internal,
  server: SpanKind.Server,
  client: SpanKind.Client,
  producer: SpanKind.Producer,
  consumer: SpanKind.Consumer,
};

/** Every value of a parameter, empty ones included (Go's `url.Values[name]`); undefined when absent. */
function rawValues(query: QueryString, name: string): string[] | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

function durationMs(query: QueryString, name: string, fallback: number): number {
  const v = firstParam(query, name);
  return v === undefined ? fallback : parseIntegerParam(name, v);
}

/** Parses the common parameters; times and durations in the result are µs. */
export function parseSpmQuery(query: QueryString, nowMs: number): Omit<MetricsQuery, 'tenant'> {
  const services = rawValues(query, 'service');
  if (services === undefined || services.length === 0) {
    throw new InvalidParameterError([
      'service',
      'is required: give at least one service name (repeat service= for more)',
    ]);
  }
  const group = firstParam(query, 'groupByOperation');
  const groupByOperation = group === undefined ? false : parseBoolParam('groupByOperation', group);

  const kindValues = rawValues(query, 'spanKind');
  let spanKinds: SpanKind[] = [SpanKind.Server];
  if (kindValues !== undefined) {
    spanKinds = [];
    for (const v of kindValues) {
      const kind = SPAN_KINDS[v.toLowerCase()];
      if (kind === undefined) {
        throw new InvalidParameterError([
          'spanKind',
          `must be one of ${Object.keys(SPAN_KINDS).join(', ')}; got "${v}"`,
        ]);
      }
      if (!spanKinds.includes(kind)) spanKinds.push(kind);
    }
  }

  const end = firstParam(query, 'endTs');
  const endMs = end === undefined ? nowMs : parseIntegerParam('endTs', end);
  const lookbackMs = durationMs(query, 'lookback', DEFAULT_LOOKBACK_MS);
  const stepMs = durationMs(query, 'step', DEFAULT_STEP_MS);
  const ratePerMs = durationMs(query, 'ratePer', DEFAULT_RATE_PER_MS);
  if (lookbackMs < 0) {
    throw new InvalidParameterError(['lookback', `must be ≥ 0 ms, got ${lookbackMs}`]);
  }
  if (stepMs <= 0) {
    throw new InvalidParameterError(['step', `must be a positive number of ms, got ${stepMs}`]);
  }
  if (ratePerMs <= 0) {
    throw new InvalidParameterError([
      'ratePer',
      `must be a positive number of ms, got ${ratePerMs}`,
    ]);
  }
  return {
    services,
    groupByOperation,
    spanKinds,
    endTime: endMs * 1000,
    lookback: lookbackMs * 1000,
    step: stepMs * 1000,
    ratePer: ratePerMs * 1000,
  };
}

/** Go's `strconv.ParseFloat` syntax for what a quantile can be: a decimal, optional exponent. */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** `quantile`, required by `/api/metrics/latencies`: 0 < q ≤ 1. */
export function parseQuantile(query: QueryString): number {
  const v = firstParam(query, 'quantile');
  if (v === undefined) {
    throw new InvalidParameterError(['quantile', 'is required: a number in (0, 1] such as 0.95']);
  }
  const q = DECIMAL.test(v) ? Number(v) : NaN;
  if (!(q > 0 && q <= 1)) {
    throw new InvalidParameterError([
      'quantile',
      `must be a number in (0, 1] such as 0.95, got "${v}"`,
    ]);
  }
  return q;
}
