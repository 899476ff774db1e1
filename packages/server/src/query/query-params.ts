import { InvalidParameterError } from '../errors.ts';
import { parseGoDuration } from './go-duration.ts';

/**
 * Parsers for query-string values, shared by the Jaeger legacy and api_v3 routes.
 * Each one names the parameter and says what was wrong by throwing
 * `InvalidParameterError`, which the app turns into a 400 in the route's error shape.
 */

/** A parsed query string as Fastify hands it over: repeated keys become arrays. */
export type QueryString = Record<string, string | string[] | undefined>;

/** The first non-empty value of a parameter (Go's `url.Values.Get` semantics, '' as absent). */
export function firstParam(query: QueryString, name: string): string | undefined {
  const value = query[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** Every value of a repeated parameter, in order, empty ones dropped. */
export function allParams(query: QueryString, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return value === '' ? [] : [value];
  return value.filter((v) => v !== '');
}

/** The first of `names` that is present, with its value: api_v3 accepts camelCase and snake_case. */
export function firstOfParams(
  query: QueryString,
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = firstParam(query, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/** A base-10 integer (e.g. µs or ms since epoch); rejects fractions, exponents and overflow. */
export function parseIntegerParam(name: string, value: string): number {
  if (!/^-?[0-9]+$/.test(value)) {
    throw new InvalidParameterError([name, `must be an integer, got "${value}"`]);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new InvalidParameterError([name, `is out of range, got "${value}"`]);
  }
  return n;
}

/**
 * A trace search limit. Absent → `defaultLimit`; above `maxLimit` → `maxLimit`
 * (clients such as Jaeger UI send their own large defaults, which should not fail).
 */
export function parseLimitParam(
  name: string,
  value: string | undefined,
  defaultLimit: number,
  maxLimit: number,
): number {
  if (value === undefined) return Math.min(defaultLimit, maxLimit);
  const n = parseIntegerParam(name, value);
  if (n <= 0) throw new InvalidParameterError([name, `must be a positive integer, got "${value}"`]);
  return Math.min(n, maxLimit);
}

/** A Go duration string → µs; negative durations make no sense for any of our parameters. */
export function parseDurationParam(name: string, value: string): number {
  let micros: number;
  try {
    micros = parseGoDuration(value);
  } catch (err) {
    throw new InvalidParameterError([name, `must be a Go duration: ${(err as Error).message}`], {
      cause: err,
    });
  }
  if (micros < 0) throw new InvalidParameterError([name, `must not be negative, got "${value}"`]);
  return micros;
}

/** Go's `strconv.ParseBool`. */
export function parseBoolParam(name: string, value: string): boolean {
  switch (value) {
    case '1':
    case 't':
    case 'T':
    case 'true':
    case 'TRUE':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'false':
    case 'FALSE':
    case 'False':
      return false;
    default:
      throw new InvalidParameterError([name, `must be true or false, got "${value}"`]);
  }
}

/**
 * A trace id in hex, any case; shorter ids (64-bit Jaeger/Zipkin ids) are left-padded
 * with zeros to 32 characters, as Jaeger does.
 */
export function parseTraceIdParam(name: string, value: string): string {
  if (!/^[0-9a-fA-F]{1,32}$/.test(value)) {
    throw new InvalidParameterError([
      name,
      `must be a trace id of 1 to 32 hex characters, got "${value}"`,
    ]);
  }
  return value.toLowerCase().padStart(32, '0');
}

const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))$/;

/** An RFC 3339 timestamp (with optional fraction to the nanosecond) → µs since epoch. */
export function parseRfc3339Param(name: string, value: string): number {
  const m = RFC3339.exec(value);
  const fail = (): never => {
    throw new InvalidParameterError([
      name,
      `must be an RFC 3339 time like 2026-01-02T15:04:05.123Z, got "${value}"`,
    ]);
  };
  if (m === null) return fail();
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return fail();
  }
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (m[9] !== undefined) {
    const offsetMinutes = Number(m[10]) * 60 + Number(m[11]);
    ms -= (m[9] === '-' ? -1 : 1) * offsetMinutes * 60_000;
  }
  const fractionMicros = m[7] === undefined ? 0 : Number(m[7].slice(0, 6).padEnd(6, '0'));
  return ms * 1000 + fractionMicros;
}

/**
 * Tag conditions from Jaeger's `tags` (a JSON object string, as Jaeger UI sends) and
 * repeated `tag=key:value` (as Grafana sends); later ones win, `tags` after `tag` as in Jaeger.
 * Numbers and booleans in the JSON are accepted as their string form.
 */
export function parseTagParams(
  tagParamName: string,
  tagValues: readonly string[],
  tagsParamName: string,
  tagsValues: readonly string[],
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of tagValues) {
    const colon = tag.indexOf(':');
    if (colon <= 0) {
      throw new InvalidParameterError([tagParamName, `must be key:value, got "${tag}"`]);
    }
    tags[tag.slice(0, colon)] = tag.slice(colon + 1);
  }
  for (const json of tagsValues) Object.assign(tags, parseJsonTagObject(tagsParamName, json));
  return tags;
}

/**
 * Turns a searched tag value into the value storage holds: redaction hashes some
 * values on ingest (`searchValueFor`), so a search for `user.email=alice@x.com` must
 * ask for the hash. Called on every request (the rules change on hot reload).
 */
export type SearchTagRewrite = (key: string, value: string) => string;

/** Applies `rewrite` to each tag condition, in place; returns `tags`. */
export function rewriteSearchTags(
  tags: Record<string, string>,
  rewrite: SearchTagRewrite | undefined,
): Record<string, string> {
  if (rewrite === undefined) return tags;
  for (const key of Object.keys(tags)) tags[key] = rewrite(key, tags[key]);
  return tags;
}

/** A JSON object of key → scalar value, as `tags` (legacy) and `query.attributes` (api_v3) carry. */
export function parseJsonTagObject(name: string, json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new InvalidParameterError(
      [name, `must be a JSON object like {"http.status_code":"500"}: ${(err as Error).message}`],
      { cause: err },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidParameterError([
      name,
      `must be a JSON object like {"http.status_code":"500"}`,
    ]);
  }
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') tags[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') tags[key] = String(value);
    else {
      throw new InvalidParameterError([
        name,
        `must map each key to a string, number or boolean; "${key}" is not one`,
      ]);
    }
  }
  return tags;
}
