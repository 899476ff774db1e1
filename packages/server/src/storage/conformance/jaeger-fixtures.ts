import { DEFAULT_TENANT } from '../../model/span.ts';
import { readFileSync } from 'node:fs';
import type { Span } from '../../model/span.ts';
import { decodeOtlpJson } from '../../receivers/otlp/otlp-json-decoder.ts';
import type { TraceQuery } from '../trace-reader.ts';

/**
 * Loads Jaeger's storage integration fixtures (test/fixtures/jaeger-storage, see
 * SOURCE.md there) the way Jaeger's StorageIntegration does: dates move so that
 * 2017-01-26 is yesterday and 2017-01-25 the day before, by whole days.
 */

const FIXTURES = new URL('../../../test/fixtures/jaeger-storage/', import.meta.url);

const DAY_MICROS = 86_400_000_000;
const FIXTURE_DAY_MICROS = Date.UTC(2017, 0, 26) * 1000;

/** µs to add to a fixture time so its 2017-01-26 becomes yesterday (UTC). */
export function fixtureShiftMicros(nowMs: number = Date.now()): number {
  const today = Math.floor(nowMs / 86_400_000) * DAY_MICROS;
  return today - DAY_MICROS - FIXTURE_DAY_MICROS;
}

export interface JaegerQueryCase {
  caption: string;
  query: TraceQuery;
  expectedFixtures: string[];
}

interface RawCase {
  Caption: string;
  Query: {
    ServiceName: string;
    OperationName: string;
    Tags: Record<string, string | number | boolean> | null;
    StartTimeMin: string;
    StartTimeMax: string;
    DurationMin: number;
    DurationMax: number;
    NumTraces: number;
  };
  ExpectedFixtures: string[];
}

/** RFC 3339 with up to nanosecond fractions, to µs (Date.parse stops at ms). */
export function rfc3339ToMicros(s: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (m === null) throw new Error(`not an RFC 3339 time: ${s}`);
  const fraction = Number(((m[2] ?? '') + '000000').slice(0, 6));
  return Date.parse(m[1] + m[3]) * 1000 + fraction;
}

export function loadQueryCases(shift: number): JaegerQueryCase[] {
  const raw = JSON.parse(readFileSync(new URL('queries.json', FIXTURES), 'utf8')) as RawCase[];
  return raw.map((c) => {
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.Query.Tags ?? {})) tags[k] = String(v);
    return {
      caption: c.Caption,
      expectedFixtures: c.ExpectedFixtures,
      query: {
        tenant: DEFAULT_TENANT,
        serviceName: c.Query.ServiceName,
        operationName: c.Query.OperationName,
        tags,
        startTimeMin: rfc3339ToMicros(c.Query.StartTimeMin) + shift,
        startTimeMax: rfc3339ToMicros(c.Query.StartTimeMax) + shift,
        // Go durations are nanoseconds.
        durationMin: c.Query.DurationMin / 1000,
        durationMax: c.Query.DurationMax / 1000,
        limit: c.Query.NumTraces,
      },
    };
  });
}

/** The spans of one fixture file, decoded with the OTLP/JSON receiver's decoder, times shifted. */
export function loadFixtureSpans(name: string, shift: number): Span[] {
  const body: unknown = JSON.parse(readFileSync(new URL(`traces/${name}.json`, FIXTURES), 'utf8'));
  const decoded = decodeOtlpJson(body);
  if (decoded.rejectedSpans !== 0) {
    throw new Error(`fixture ${name}: decoder rejected spans: ${decoded.errorMessage}`);
  }
  for (const s of decoded.spans) {
    s.startTime += shift;
    for (const e of s.events) e.time += shift;
  }
  return decoded.spans;
}
