import { InvalidParameterError } from '../../errors.ts';
import { COMPLETENESS_MINUTE, MAX_COMPLETENESS_POINTS } from '../../storage/completeness-reader.ts';
import type { CompletenessQuery } from '../../storage/completeness-reader.ts';
import { firstParam, parseDurationParam, parseIntegerParam } from '../query-params.ts';
import type { QueryString } from '../query-params.ts';

/**
 * The parameters of `GET /api/completeness` (docs/api.md):
 *
 * | parameter | meaning | default |
 * | --- | --- | --- |
 * | `end` | end of the window, µs since epoch | now |
 * | `start` | start of the window, µs since epoch | `end - lookback` |
 * | `lookback` | length of the window, Go duration (`custom` = use `start`) | `1h` |
 * | `service` | only what concerns this service | all |
 * | `step` | series bucket width, Go duration, whole minutes | see {@link defaultStep} |
 */

export const DEFAULT_COMPLETENESS_LOOKBACK_US = 3600e6;

/** Default Quality Metrics window, as Jaeger UI's page defaults to it (hours). */
export const DEFAULT_QUALITY_HOURS = 48;

/** Steps a default is chosen from: the smallest giving at most {@link TARGET_POINTS} points. */
const STEP_LADDER_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
const TARGET_POINTS = 120;

/**
 * The default series step for a window of `length` µs: the smallest of 1m, 2m, 5m, 10m,
 * 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d that gives at most 120 points; for longer windows,
 * whole days.
 */
export function defaultStep(length: number): number {
  for (const minutes of STEP_LADDER_MINUTES) {
    const step = minutes * COMPLETENESS_MINUTE;
    if (Math.ceil(length / step) + 1 <= TARGET_POINTS) return step;
  }
  const day = 1440 * COMPLETENESS_MINUTE;
  return Math.ceil(length / day / (TARGET_POINTS - 1)) * day;
}

/** `GET /api/completeness`'s query string → a completeness query (µs). */
export function parseCompletenessQuery(
  query: QueryString,
  nowUs: number,
): Omit<CompletenessQuery, 'tenant'> {
  const endValue = firstParam(query, 'end');
  const end = endValue === undefined ? nowUs : parseIntegerParam('end', endValue);
  const startValue = firstParam(query, 'start');
  let start: number;
  if (startValue !== undefined) start = parseIntegerParam('start', startValue);
  else {
    const lookback = firstParam(query, 'lookback');
    const lookbackUs =
      lookback === undefined || lookback === 'custom'
        ? DEFAULT_COMPLETENESS_LOOKBACK_US
        : parseDurationParam('lookback', lookback);
    start = end - lookbackUs;
  }
  if (start > end) throw new InvalidParameterError(['start', 'must not be after end']);
  const stepValue = firstParam(query, 'step');
  let step: number;
  if (stepValue === undefined) step = defaultStep(end - start);
  else {
    step = parseDurationParam('step', stepValue);
    if (step <= 0 || step % COMPLETENESS_MINUTE !== 0) {
      throw new InvalidParameterError([
        'step',
        `must be a whole number of minutes such as 1m, 5m or 1h (completeness is kept per minute), got "${stepValue}"`,
      ]);
    }
    const points = Math.floor(end / step) - Math.floor(start / step) + 1;
    if (points > MAX_COMPLETENESS_POINTS) {
      throw new InvalidParameterError([
        'step',
        `"${stepValue}" gives ${points} points over the window, more than ${MAX_COMPLETENESS_POINTS}: use a larger step or a shorter lookback`,
      ]);
    }
  }
  return { start, end, step, service: firstParam(query, 'service') };
}

/**
 * `GET /api/quality-metrics`'s query string: `service` (optional: all services), the window
 * as Jaeger UI sends it (`hours`, a positive integer, default 48) or as a Go duration
 * (`lookback`, which wins when both are given); the window ends now.
 */
export function parseQualityMetricsQuery(
  query: QueryString,
  nowUs: number,
): { service: string | undefined; start: number; end: number; hours: number } {
  const lookback = firstParam(query, 'lookback');
  const hoursValue = firstParam(query, 'hours');
  let length: number;
  if (lookback !== undefined) {
    length = parseDurationParam('lookback', lookback);
    if (length <= 0) {
      throw new InvalidParameterError(['lookback', `must be positive, got "${lookback}"`]);
    }
  } else if (hoursValue !== undefined) {
    const hours = parseIntegerParam('hours', hoursValue);
    if (hours <= 0) {
      throw new InvalidParameterError([
        'hours',
        `must be a positive whole number of hours, got "${hoursValue}"`,
      ]);
    }
    length = hours * 3600e6;
  } else length = DEFAULT_QUALITY_HOURS * 3600e6;
  if (length > nowUs) {
    const name = lookback !== undefined ? 'lookback' : 'hours';
    throw new InvalidParameterError([name, 'reaches back before 1970: give a shorter window']);
  }
  return {
    service: firstParam(query, 'service'),
    start: nowUs - length,
    end: nowUs,
    hours: length / 3600e6,
  };
}
