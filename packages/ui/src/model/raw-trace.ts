/**
 * The UI's trace input: one shape for traces read from Skein's API (Jaeger UI JSON)
 * and traces opened from a file (Jaeger JSON or OTLP JSON). Times are µs since the
 * epoch, as in Jaeger's JSON, which keeps them exact in a double.
 */

export type TagType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

/** A typed key/value as Jaeger UI shows it; arrays and maps are JSON strings. */
export interface KeyValue {
  key: string;
  type: TagType;
  value: string | number | boolean;
}

/** A span event (Jaeger "log"); `time` is µs since the epoch. */
export interface SpanEvent {
  time: number;
  name: string;
  fields: KeyValue[];
}

/** A reference other than the parent: a span link, or a second parent. */
export interface SpanLink {
  type: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceId: string;
  spanId: string;
}

export type StatusCode = 'UNSET' | 'OK' | 'ERROR';

export interface RawSpan {
  traceId: string;
  spanId: string;
  /** Parent span id; '' for a root. */
  parentId: string;
  links: SpanLink[];
  service: string;
  /** Identifies the emitting process (service + resource), for clock-skew adjustment. */
  processKey: string;
  operation: string;
  /** 'server', 'client', 'producer', 'consumer', 'internal' or ''. */
  kind: string;
  start: number;
  duration: number;
  tags: KeyValue[];
  /** Resource attributes of the emitting process, `service.name` excluded. */
  process: KeyValue[];
  events: SpanEvent[];
  status: StatusCode;
  statusMessage: string;
  warnings: string[];
}

export interface RawTrace {
  traceId: string;
  spans: RawSpan[];
}
