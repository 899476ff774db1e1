/**
 * The JSON model Jaeger's query service returns to Jaeger UI and Grafana
 * (Jaeger's `internal/uimodel`): field names and value encodings must match it exactly.
 */

export type JaegerValueType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

/**
 * One tag or log field. int64 values outside ±(2^53-1) are sent as decimal strings and
 * binary values as base64 strings, as Jaeger does, so JavaScript clients lose nothing.
 */
export interface JaegerKeyValue {
  key: string;
  type: JaegerValueType;
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  /** µs since epoch. */
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  flags: number;
  operationName: string;
  references: JaegerReference[];
  /** µs since epoch. */
  startTime: number;
  /** µs. */
  duration: number;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
  processID: string;
  /** Jaeger sends null, not [], when a span has no warnings. */
  warnings: string[] | null;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  /** Keyed p1, p2, ... in order of first use. */
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface JaegerDependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/** Jaeger's `structuredError`: `code` is the HTTP status; `traceID` names a trace that was not found. */
export interface JaegerError {
  code: number;
  msg: string;
  traceID?: string;
}

/** Jaeger's `structuredResponse`, the envelope of every legacy `/api/*` answer. */
export interface JaegerEnvelope<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: JaegerError[] | null;
}
