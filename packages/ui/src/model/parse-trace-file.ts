import { fromJaegerTrace, type JaegerTrace } from './from-jaeger.ts';
import { fromOtlpJson, type OtlpTracesData } from './from-otlp.ts';
import type { RawTrace } from './raw-trace.ts';

export type TraceFileFormat = 'jaeger' | 'otlp';

export interface ParsedTraceFile {
  format: TraceFileFormat;
  traces: RawTrace[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJaegerTrace(v: unknown): v is JaegerTrace {
  return isObject(v) && Array.isArray(v.spans) && typeof v.traceID === 'string';
}

/**
 * Reads a trace file's text. Accepted: Jaeger JSON (`{data:[trace…]}` as `/api/traces`
 * answers and Jaeger UI downloads, a bare trace, or an array of traces) and OTLP JSON
 * (`{resourceSpans}`, or api_v3's `{result:{resourceSpans}}`). Throws with a message
 * that says what was expected.
 */
export function parseTraceFile(text: string): ParsedTraceFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `the file is not JSON (${(err as Error).message}); choose a Jaeger JSON or OTLP JSON trace file`,
    );
  }
  const candidates: unknown[] = Array.isArray(json)
    ? json
    : isObject(json) && Array.isArray(json.data)
      ? json.data
      : [json];
  if (candidates.length > 0 && candidates.every(isJaegerTrace)) {
    return { format: 'jaeger', traces: candidates.map((t) => fromJaegerTrace(t as JaegerTrace)) };
  }
  const otlp = isObject(json) && isObject(json.result) ? json.result : json;
  if (isObject(otlp) && Array.isArray(otlp.resourceSpans)) {
    const traces = fromOtlpJson(otlp as OtlpTracesData);
    if (traces.length === 0) throw new Error('the OTLP JSON file holds no spans');
    return { format: 'otlp', traces };
  }
  throw new Error(
    'this JSON is neither a Jaeger trace ({"data":[{"traceID","spans","processes"}]}) nor OTLP JSON ({"resourceSpans":[…]})',
  );
}
