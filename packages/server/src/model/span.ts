/**
 * Skein's internal span model: OTLP-shaped, flat, cheap to create.
 *
 * - ids are lowercase hex strings (trace id 32 chars, span id 16 chars);
 * - times are microseconds since the Unix epoch as JS numbers (exact to 2^53 µs);
 * - resource and scope objects are shared by every span decoded from the same
 *   ResourceSpans / ScopeSpans, so treat them as immutable once a span refers to them.
 *
 * Protocol decoders build these objects directly; encoders (Jaeger JSON, OTLP JSON)
 * read them. Nothing downstream of a receiver mutates a span except the pipeline
 * processors that say so in their contract.
 */

/** OTLP `Span.SpanKind` numbering. */
export const SpanKind = {
  Unspecified: 0,
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP `Status.StatusCode` numbering. */
export const StatusCode = {
  Unset: 0,
  Ok: 1,
  Error: 2,
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

/** The type tag of an {@link AnyValue}; mirrors the OTLP `AnyValue` oneof. */
export const ValueType = {
  Empty: 0,
  String: 1,
  Bool: 2,
  Int: 3,
  Double: 4,
  Bytes: 5,
  Array: 6,
  KvList: 7,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * A typed value. `Int` values are JS numbers when they fit in ±2^53, otherwise bigint,
 * so an int64 survives a round trip exactly.
 */
export type AnyValue =
  | { type: typeof ValueType.Empty; value: null }
  | { type: typeof ValueType.String; value: string }
  | { type: typeof ValueType.Bool; value: boolean }
  | { type: typeof ValueType.Int; value: number | bigint }
  | { type: typeof ValueType.Double; value: number }
  | { type: typeof ValueType.Bytes; value: Uint8Array }
  | { type: typeof ValueType.Array; value: AnyValue[] }
  | { type: typeof ValueType.KvList; value: Attribute[] };

/** A key with a typed value: one object per attribute (no nested wrapper). */
export type Attribute = AnyValue & { key: string };

export interface Resource {
  /** `service.name` from the attributes, or `unknown_service` when absent (OTel SDK rule). */
  serviceName: string;
  /**
   * The tenant whose data this is ({@link DEFAULT_TENANT} when none was named). Decoders
   * set {@link DEFAULT_TENANT}; the pipeline stamps the tenant the request was admitted
   * for (security/identity.ts) before any processor or store sees the span, so every
   * stored row carries it. Not an attribute: clients cannot set it.
   */
  tenant: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
  /** OTLP `ResourceSpans.schema_url`. */
  schemaUrl: string;
}

export interface Scope {
  name: string;
  version: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
  /** OTLP `ScopeSpans.schema_url`. */
  schemaUrl: string;
}

export interface SpanEvent {
  /** µs since epoch. */
  time: number;
  name: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
  flags: number;
}

export interface Span {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  /** OTLP `Span.flags` (W3C trace flags in the low byte). */
  flags: number;
  name: string;
  kind: SpanKind;
  /** µs since epoch. */
  startTime: number;
  /** µs; never negative (decoders clamp end < start to 0 and say so in a warning). */
  duration: number;
  attributes: Attribute[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  statusCode: StatusCode;
  statusMessage: string;
  /** Shared with the other spans of the same resource. */
  resource: Resource;
  /** Shared with the other spans of the same scope. */
  scope: Scope;
}

/**
 * The tenant of data sent without naming one (no tenant-bound token, no tenant header):
 * single-tenant installations keep everything here.
 */
export const DEFAULT_TENANT = '';

/** The service name OTel SDKs use when a resource has no `service.name`. */
export const UNKNOWN_SERVICE = 'unknown_service';

/** A trace as readers return it: its spans, in no promised order unless the reader says so. */
export interface Trace {
  traceId: string;
  spans: Span[];
}
