/**
 * Go's `time.ParseDuration` syntax, which the Jaeger query API uses for `minDuration`,
 * `maxDuration`, `lookback` and api_v3's `query.duration_min/max`: an optional sign,
 * then one or more decimal numbers each with a unit, e.g. "300ms", "1.5h", "2h45m".
 * "0" alone needs no unit. Units: ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h.
 */

const NANOS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  '\u00b5s': 1e3,
  '\u03bcs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go durations are int64 nanoseconds (2^63 - 1, as near as a double gets). */
const MAX_NANOS = 2 ** 63;

/**
 * Parses a Go duration string.
 *
 * @returns the duration in microseconds (fractional below 1 µs, e.g. "10ns" → 0.01)
 * @throws Error whose message says why the text is not a Go duration
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`"${text}" is not a duration (expected e.g. "1.5ms", "2h45m")`);

  let nanos = 0;
  while (rest !== '') {
    const numberMatch = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    const number = numberMatch[0];
    const whole = numberMatch[1];
    const fraction = numberMatch[2] ?? '';
    if (whole === '' && fraction === '') {
      throw new Error(`"${text}" is not a duration: expected a number at "${rest}"`);
    }
    rest = rest.slice(number.length);
    const unitMatch = /^[^0-9.]+/.exec(rest);
    if (unitMatch === null) {
      throw new Error(`"${text}" has a number without a unit; use one of ns, us, µs, ms, s, m, h`);
    }
    const unit = unitMatch[0];
    const scale = NANOS_PER_UNIT[unit];
    if (scale === undefined) {
      throw new Error(`"${text}" has unknown unit "${unit}"; use one of ns, us, µs, ms, s, m, h`);
    }
    // Whole and fraction apart, truncating below 1 ns as Go does, so "1.1ms" is exactly 1100 µs.
    nanos += Number(whole) * scale;
    if (fraction !== '') nanos += Math.floor(Number(fraction) * (scale / 10 ** fraction.length));
    rest = rest.slice(unit.length);
  }
  if (nanos >= MAX_NANOS)
    throw new Error(`"${text}" is longer than the longest Go duration (~292 years)`);
  return (sign * nanos) / 1e3;
}
