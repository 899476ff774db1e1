/**
 * The latest start or end time Skein stores, in µs: the largest integer a JS
 * number holds exactly (2^53 - 1 µs, in June 2255), so every time in the span
 * model is exact; it is within every backend's range (ClickHouse's DateTime64
 * ends in 2299).
 */
export const MAX_SPAN_TIME_US = Number.MAX_SAFE_INTEGER;

const LATEST = '2255-06-05T23:47:34.740991Z';

/**
 * Why a span's times cannot be stored ('' when they can), for the rejection
 * message: a start before the Unix epoch (an int64 gone wrong) or after
 * {@link MAX_SPAN_TIME_US} (e.g. an int64 maximum, or ns sent as µs), not a
 * number, a negative duration, or an end after the latest time. A start of 0
 * is how the protocols say "unset" and passes, as the OpenTelemetry Collector
 * and Jaeger let it (Zipkin's builder needs a timestamp of its own). The same
 * rule for every decoder; times are µs.
 */
export function timeProblem(startTime: number, duration: number): string {
  if (!(startTime >= 0)) {
    return `has start time ${startTime} µs (before 1970; want µs since the Unix epoch)`;
  }
  if (startTime > MAX_SPAN_TIME_US) {
    return `has start time ${startTime} µs (after ${LATEST}; want µs since the Unix epoch, not ns or an int64 maximum)`;
  }
  if (!(duration >= 0)) return `has a negative duration (${duration} µs)`;
  if (startTime + duration > MAX_SPAN_TIME_US) {
    return `has duration ${duration} µs, ending after ${LATEST}`;
  }
  return '';
}
