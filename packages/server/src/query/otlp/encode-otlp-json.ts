import { ValueType } from '../../model/span.ts';
import type {
  AnyValue,
  Attribute,
  Resource,
  Scope,
  Span,
  SpanEvent,
  SpanLink,
} from '../../model/span.ts';

/**
 * Internal spans → OTLP JSON (`TracesData` / `ExportTraceServiceRequest`), per the OTLP
 * specification's JSON mapping: lowerCamelCase field names, trace and span ids as hex,
 * times as decimal strings of nanoseconds, int64 as strings, enums as numbers, bytes as
 * base64. Fields at their default value are left out (proto3 JSON), except the
 * attributes / events / links arrays, which are always present so readers can iterate.
 *
 * Spans are grouped into ResourceSpans / ScopeSpans by the identity of their `resource`
 * and `scope` objects, in order of first appearance, which is how decoders share them.
 *
 * Wire fields written (opentelemetry/proto/trace/v1/trace.proto):
 *   ResourceSpans: resource{attributes, droppedAttributesCount}, scopeSpans, schemaUrl
 *   ScopeSpans:    scope{name, version, attributes, droppedAttributesCount}, spans, schemaUrl
 *   Span:          traceId, spanId, traceState, parentSpanId, flags, name, kind,
 *                  startTimeUnixNano, endTimeUnixNano, attributes, droppedAttributesCount,
 *                  events, droppedEventsCount, links, droppedLinksCount, status{code, message}
 *   Event:         timeUnixNano, name, attributes, droppedAttributesCount
 *   Link:          traceId, spanId, traceState, attributes, droppedAttributesCount, flags
 */
export function encodeOtlpJson(spans: readonly Span[]): OtlpTracesData {
  const resourceSpans: OtlpResourceSpans[] = [];
  const byResource = new Map<Resource, ResourceGroup>();
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    let group = byResource.get(span.resource);
    if (group === undefined) {
      group = { json: encodeResourceSpans(span.resource), byScope: new Map() };
      byResource.set(span.resource, group);
      resourceSpans.push(group.json);
    }
    let scopeSpans = group.byScope.get(span.scope);
    if (scopeSpans === undefined) {
      scopeSpans = encodeScopeSpans(span.scope);
      group.byScope.set(span.scope, scopeSpans);
      group.json.scopeSpans.push(scopeSpans);
    }
    scopeSpans.spans.push(encodeSpan(span));
  }
  return { resourceSpans };
}

interface ResourceGroup {
  json: OtlpResourceSpans;
  byScope: Map<Scope, OtlpScopeSpans>;
}

export interface OtlpTracesData {
  resourceSpans: OtlpResourceSpans[];
}

export interface OtlpResourceSpans {
  resource: { attributes: OtlpKeyValue[]; droppedAttributesCount?: number };
  scopeSpans: OtlpScopeSpans[];
  schemaUrl?: string;
}

export interface OtlpScopeSpans {
  scope: {
    name?: string;
    version?: string;
    attributes: OtlpKeyValue[];
    droppedAttributesCount?: number;
  };
  spans: OtlpSpan[];
  schemaUrl?: string;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events: OtlpEvent[];
  droppedEventsCount?: number;
  links: OtlpLink[];
  droppedLinksCount?: number;
  status: { code?: number; message?: string };
}

export interface OtlpEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export type OtlpAnyValue =
  | Record<string, never>
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string }
  | { bytesValue: string }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } };

function encodeResourceSpans(resource: Resource): OtlpResourceSpans {
  const json: OtlpResourceSpans = {
    resource: { attributes: encodeAttributes(resource.attributes) },
    scopeSpans: [],
  };
  if (resource.droppedAttributesCount > 0) {
    json.resource.droppedAttributesCount = resource.droppedAttributesCount;
  }
  if (resource.schemaUrl !== '') json.schemaUrl = resource.schemaUrl;
  return json;
}

function encodeScopeSpans(scope: Scope): OtlpScopeSpans {
  const json: OtlpScopeSpans = {
    scope: { attributes: encodeAttributes(scope.attributes) },
    spans: [],
  };
  if (scope.name !== '') json.scope.name = scope.name;
  if (scope.version !== '') json.scope.version = scope.version;
  if (scope.droppedAttributesCount > 0)
    json.scope.droppedAttributesCount = scope.droppedAttributesCount;
  if (scope.schemaUrl !== '') json.schemaUrl = scope.schemaUrl;
  return json;
}

function encodeSpan(span: Span): OtlpSpan {
  const json: OtlpSpan = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: microsToNanoString(span.startTime),
    endTimeUnixNano: microsToNanoString(span.startTime + span.duration),
    attributes: encodeAttributes(span.attributes),
    events: encodeEvents(span.events),
    links: encodeLinks(span.links),
    status: {},
  };
  if (span.traceState !== '') json.traceState = span.traceState;
  if (span.parentSpanId !== '') json.parentSpanId = span.parentSpanId;
  if (span.flags !== 0) json.flags = span.flags;
  if (span.droppedAttributesCount > 0) json.droppedAttributesCount = span.droppedAttributesCount;
  if (span.droppedEventsCount > 0) json.droppedEventsCount = span.droppedEventsCount;
  if (span.droppedLinksCount > 0) json.droppedLinksCount = span.droppedLinksCount;
  if (span.statusCode !== 0) json.status.code = span.statusCode;
  if (span.statusMessage !== '') json.status.message = span.statusMessage;
  return json;
}

function encodeEvents(events: SpanEvent[]): OtlpEvent[] {
  const out: OtlpEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const json: OtlpEvent = {
      timeUnixNano: microsToNanoString(e.time),
      name: e.name,
      attributes: encodeAttributes(e.attributes),
    };
    if (e.droppedAttributesCount > 0) json.droppedAttributesCount = e.droppedAttributesCount;
    out[i] = json;
  }
  return out;
}

function encodeLinks(links: SpanLink[]): OtlpLink[] {
  const out: OtlpLink[] = new Array(links.length);
  for (let i = 0; i < links.length; i++) {
    const l = links[i];
    const json: OtlpLink = {
      traceId: l.traceId,
      spanId: l.spanId,
      attributes: encodeAttributes(l.attributes),
    };
    if (l.traceState !== '') json.traceState = l.traceState;
    if (l.droppedAttributesCount > 0) json.droppedAttributesCount = l.droppedAttributesCount;
    if (l.flags !== 0) json.flags = l.flags;
    out[i] = json;
  }
  return out;
}

function encodeAttributes(attributes: Attribute[]): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = new Array(attributes.length);
  for (let i = 0; i < attributes.length; i++) {
    out[i] = { key: attributes[i].key, value: encodeAnyValue(attributes[i]) };
  }
  return out;
}

/** One AnyValue in its OTLP JSON form (int64 as a string; NaN/±Infinity as proto3 JSON strings). */
export function encodeAnyValue(v: AnyValue): OtlpAnyValue {
  switch (v.type) {
    case ValueType.Empty:
      return {};
    case ValueType.String:
      return { stringValue: v.value };
    case ValueType.Bool:
      return { boolValue: v.value };
    case ValueType.Int:
      return { intValue: v.value.toString() };
    case ValueType.Double:
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case ValueType.Bytes:
      return { bytesValue: Buffer.from(v.value).toString('base64') };
    case ValueType.Array: {
      const values: OtlpAnyValue[] = new Array(v.value.length);
      for (let i = 0; i < v.value.length; i++) values[i] = encodeAnyValue(v.value[i]);
      return { arrayValue: { values } };
    }
    case ValueType.KvList:
      return { kvlistValue: { values: encodeAttributes(v.value) } };
  }
}

/** µs (a safe integer) → decimal ns, without going through floating point above 2^53 ns. */
export function microsToNanoString(micros: number): string {
  if (micros === 0) return '0';
  return Number.isInteger(micros) ? `${micros}000` : BigInt(Math.round(micros * 1000)).toString();
}
