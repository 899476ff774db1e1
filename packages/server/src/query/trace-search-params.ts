import { InvalidParameterError } from '../errors.ts';

/** How far back a search looks when the request gives no start (Jaeger's default, 2 days), µs. */
export const DEFAULT_SEARCH_LOOKBACK_US = 2 * 24 * 3600 * 1e6;

/** Current time in µs since epoch. */
export function nowMicros(): number {
  return Date.now() * 1000;
}

/** Span kind names a search or an operation list may filter on (Jaeger's, '' = any). */
export const SPAN_KIND_NAMES: readonly string[] = [
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

/** Checks the relations between parsed search bounds, naming the parameters in errors. */
export function checkSearchBounds(
  bounds: { startMin: number; startMax: number; durationMin: number; durationMax: number },
  names: { start: string; end: string; durationMin: string; durationMax: string },
): void {
  if (bounds.startMin > bounds.startMax) {
    throw new InvalidParameterError([names.start, `must not be after ${names.end}`]);
  }
  if (bounds.durationMax > 0 && bounds.durationMin > bounds.durationMax) {
    throw new InvalidParameterError([
      names.durationMax,
      `must not be less than ${names.durationMin}`,
    ]);
  }
}

/** Validates a span kind filter value (Jaeger's names); '' and undefined mean any. */
export function checkSpanKind(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!SPAN_KIND_NAMES.includes(value)) {
    throw new InvalidParameterError([
      name,
      `must be one of ${SPAN_KIND_NAMES.join(', ')}; got "${value}"`,
    ]);
  }
  return value;
}
