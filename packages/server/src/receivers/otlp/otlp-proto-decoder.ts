import type {
  AnyValue,
  Attribute,
  Resource,
  Scope,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  StatusCode,
} from '../../model/span.ts';
import { DEFAULT_TENANT, UNKNOWN_SERVICE, ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { MAX_ANY_VALUE_DEPTH } from './limits.ts';
import { serviceNameOf } from './service-name.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { timeProblem } from '../span-times.ts';
import { SpanRejections } from './span-rejections.ts';
import { WireReader } from '../wire-reader.ts';

/*
 * A hand-written decoder for opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest
 * (proto/otlp) that writes straight into the span model: no message objects in
 * between. Above each function, the wire fields it reads as "number name type";
 * a tag is (number << 3 | wire type), written in the `case` as hex.
 *
 * Fields it does not read (unknown ones, `entity_refs`, `*_strindex`, known
 * numbers with an unexpected wire type) are skipped, as protobuf parsers do.
 * Repeated occurrences of a message field merge (repeated fields append, scalars
 * take the last value), which also follows protobuf.
 */

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const TOO_DEEP = `arrays and kvlists nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`;

/**
 * Decodes an OTLP/protobuf ExportTraceServiceRequest.
 * @throws InvalidPayloadError when the bytes are not a well-formed message.
 */
export function decodeOtlpProto(
  buf: Uint8Array,
  spanLimits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const r = new WireReader(buf, 'OTLP/protobuf');
  const out: Span[] = [];
  const rejections = new SpanRejections();
  limits = spanLimits;
  decodeRequest(r, buf.byteLength, out, rejections);
  limits.apply(out);
  return rejections.result(out);
}

/**
 * The limits of the request being decoded (decoding is synchronous). Lists are
 * read up to one item past their limit (span-limits.ts); later items are skipped
 * unread and added to their dropped count.
 */
let limits: SpanLimits = DEFAULT_SPAN_LIMITS;

// ExportTraceServiceRequest
//   1 resource_spans  ResourceSpans (repeated)
function decodeRequest(r: WireReader, end: number, out: Span[], rejections: SpanRejections): void {
  r.message = 'ExportTraceServiceRequest';
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) decodeResourceSpans(r, r.delimited(end), out, rejections);
    else r.skip(tag & 7, end);
  }
}

// ResourceSpans
//   1 resource     Resource
//   2 scope_spans  ScopeSpans (repeated)
//   3 schema_url   string
function decodeResourceSpans(
  r: WireReader,
  end: number,
  out: Span[],
  rejections: SpanRejections,
): void {
  const outer = r.message;
  r.message = 'ResourceSpans';
  // Filled in place as its fields arrive, so the spans (which may come first) share it.
  const resource: Resource = {
    serviceName: UNKNOWN_SERVICE,
    tenant: DEFAULT_TENANT,
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        decodeResource(r, r.delimited(end), resource);
        break;
      case 0x12:
        decodeScopeSpans(r, r.delimited(end), resource, out, rejections);
        break;
      case 0x1a:
        resource.schemaUrl = r.string(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  resource.serviceName = serviceNameOf(resource.attributes);
  r.message = outer;
}

// Resource
//   1 attributes                KeyValue (repeated)
//   2 dropped_attributes_count  uint32
function decodeResource(r: WireReader, end: number, resource: Resource): void {
  const outer = r.message;
  r.message = 'Resource';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        resource.attributes.push(decodeKeyValue(r, r.delimited(end), 0));
        break;
      case 0x10:
        resource.droppedAttributesCount = r.varint32(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
}

// ScopeSpans
//   1 scope       InstrumentationScope
//   2 spans       Span (repeated)
//   3 schema_url  string
function decodeScopeSpans(
  r: WireReader,
  end: number,
  resource: Resource,
  out: Span[],
  rejections: SpanRejections,
): void {
  const outer = r.message;
  r.message = 'ScopeSpans';
  const scope: Scope = {
    name: '',
    version: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        decodeScope(r, r.delimited(end), scope);
        break;
      case 0x12:
        decodeSpan(r, r.delimited(end), resource, scope, out, rejections);
        break;
      case 0x1a:
        scope.schemaUrl = r.string(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
}

// InstrumentationScope
//   1 name                      string
//   2 version                   string
//   3 attributes                KeyValue (repeated)
//   4 dropped_attributes_count  uint32
function decodeScope(r: WireReader, end: number, scope: Scope): void {
  const outer = r.message;
  r.message = 'InstrumentationScope';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        scope.name = r.string(end);
        break;
      case 0x12:
        scope.version = r.string(end);
        break;
      case 0x1a:
        scope.attributes.push(decodeKeyValue(r, r.delimited(end), 0));
        break;
      case 0x20:
        scope.droppedAttributesCount = r.varint32(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
}

// Span
//    1 trace_id                  bytes (16)
//    2 span_id                   bytes (8)
//    3 trace_state               string
//    4 parent_span_id            bytes (8, or empty for a root)
//    5 name                      string
//    6 kind                      SpanKind (varint)
//    7 start_time_unix_nano      fixed64
//    8 end_time_unix_nano        fixed64
//    9 attributes                KeyValue (repeated)
//   10 dropped_attributes_count  uint32
//   11 events                    Event (repeated)
//   12 dropped_events_count      uint32
//   13 links                     Link (repeated)
//   14 dropped_links_count       uint32
//   15 status                    Status
//   16 flags                     fixed32
function decodeSpan(
  r: WireReader,
  end: number,
  resource: Resource,
  scope: Scope,
  out: Span[],
  rejections: SpanRejections,
): void {
  const outer = r.message;
  r.message = 'Span';
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTime: 0,
    duration: 0,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource,
    scope,
  };
  // Byte lengths of the ids as sent; the hex is only built for the right length.
  let traceIdBytes = 0;
  let spanIdBytes = 0;
  let parentIdBytes = 0;
  let endTime = 0;
  let linkProblem = '';
  let cutAttributes = 0;
  let cutEvents = 0;
  let cutLinks = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a: {
        const stop = r.delimited(end);
        traceIdBytes = stop - r.pos;
        span.traceId = traceIdBytes === 16 ? r.hex16() : '';
        r.pos = stop;
        break;
      }
      case 0x12: {
        const stop = r.delimited(end);
        spanIdBytes = stop - r.pos;
        span.spanId = spanIdBytes === 8 ? r.hex8() : '';
        r.pos = stop;
        break;
      }
      case 0x1a:
        span.traceState = r.string(end);
        break;
      case 0x22: {
        const stop = r.delimited(end);
        parentIdBytes = stop - r.pos;
        span.parentSpanId = parentIdBytes === 8 ? r.hex8() : '';
        r.pos = stop;
        break;
      }
      case 0x2a:
        span.name = r.string(end);
        break;
      case 0x30:
        span.kind = spanKind(r.varint32(end));
        break;
      case 0x39:
        span.startTime = r.fixed64Micros(end);
        break;
      case 0x41:
        endTime = r.fixed64Micros(end);
        break;
      case 0x4a:
        if (span.attributes.length <= limits.maxAttributesPerSpan) {
          span.attributes.push(decodeKeyValue(r, r.delimited(end), 0));
        } else {
          r.pos = r.delimited(end);
          cutAttributes++;
        }
        break;
      case 0x50:
        span.droppedAttributesCount = r.varint32(end);
        break;
      case 0x5a:
        if (span.events.length <= limits.maxEventsPerSpan) {
          span.events.push(decodeEvent(r, r.delimited(end)));
        } else {
          r.pos = r.delimited(end);
          cutEvents++;
        }
        break;
      case 0x60:
        span.droppedEventsCount = r.varint32(end);
        break;
      case 0x6a: {
        if (span.links.length > limits.maxLinksPerSpan) {
          r.pos = r.delimited(end);
          cutLinks++;
          break;
        }
        const problem = decodeLink(r, r.delimited(end), span.links);
        if (problem !== '' && linkProblem === '') {
          linkProblem = `link ${span.links.length - 1} ${problem}`;
        }
        break;
      }
      case 0x70:
        span.droppedLinksCount = r.varint32(end);
        break;
      case 0x7a:
        decodeStatus(r, r.delimited(end), span);
        break;
      case 0x85: // 16 << 3 | 5, a two-byte tag
        span.flags = r.fixed32(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  span.duration = endTime > span.startTime ? endTime - span.startTime : 0;
  span.droppedAttributesCount += cutAttributes;
  span.droppedEventsCount += cutEvents;
  span.droppedLinksCount += cutLinks;
  if (span.parentSpanId === ZERO_SPAN_ID) span.parentSpanId = '';
  let problem = idProblem('trace id', traceIdBytes, 16, span.traceId === ZERO_TRACE_ID);
  if (problem === '') problem = idProblem('span id', spanIdBytes, 8, span.spanId === ZERO_SPAN_ID);
  if (problem === '' && parentIdBytes !== 0 && parentIdBytes !== 8) {
    problem = `has a ${parentIdBytes}-byte parent span id (want 8 bytes, or none for a root span)`;
  }
  if (problem === '') problem = linkProblem;
  if (problem !== '') {
    rejections.reject(`span ${out.length + rejections.count} ${problem}`);
  } else {
    problem = timeProblem(span.startTime, span.duration);
    if (problem === '') out.push(span);
    else rejections.rejectTime(`span ${out.length + rejections.count} ${problem}`);
  }
  r.message = outer;
}

/** Why an id of `bytes` bytes cannot be used ('' when it can). */
function idProblem(what: string, bytes: number, want: number, allZero: boolean): string {
  if (bytes === want) return allZero ? `has an all-zero ${what} (not a valid id)` : '';
  if (bytes === 0) return `has no ${what}`;
  return `has a ${bytes}-byte ${what} (want ${want} bytes)`;
}

/** Enum numbers OTLP does not define read as unspecified/unset (proto3 enums are open). */
function spanKind(n: number): SpanKind {
  return n <= 5 ? (n as SpanKind) : 0;
}

function statusCode(n: number): StatusCode {
  return n <= 2 ? (n as StatusCode) : 0;
}

// Status
//   2 message  string
//   3 code     StatusCode (varint)
function decodeStatus(r: WireReader, end: number, span: Span): void {
  const outer = r.message;
  r.message = 'Status';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x12:
        span.statusMessage = r.string(end);
        break;
      case 0x18:
        span.statusCode = statusCode(r.varint32(end));
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
}

// Span.Event
//   1 time_unix_nano            fixed64
//   2 name                      string
//   3 attributes                KeyValue (repeated)
//   4 dropped_attributes_count  uint32
function decodeEvent(r: WireReader, end: number): SpanEvent {
  const outer = r.message;
  r.message = 'Span.Event';
  const event: SpanEvent = { time: 0, name: '', attributes: [], droppedAttributesCount: 0 };
  let cut = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x09:
        event.time = r.fixed64Micros(end);
        break;
      case 0x12:
        event.name = r.string(end);
        break;
      case 0x1a:
        if (event.attributes.length <= limits.maxAttributesPerEvent) {
          event.attributes.push(decodeKeyValue(r, r.delimited(end), 0));
        } else {
          r.pos = r.delimited(end);
          cut++;
        }
        break;
      case 0x20:
        event.droppedAttributesCount = r.varint32(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  event.droppedAttributesCount += cut;
  r.message = outer;
  return event;
}

// Span.Link
//   1 trace_id                  bytes (16)
//   2 span_id                   bytes (8)
//   3 trace_state               string
//   4 attributes                KeyValue (repeated)
//   5 dropped_attributes_count  uint32
//   6 flags                     fixed32
/** Appends the link to `links`; returns why its ids make the span unusable, or ''. */
function decodeLink(r: WireReader, end: number, links: SpanLink[]): string {
  const outer = r.message;
  r.message = 'Span.Link';
  const link: SpanLink = {
    traceId: '',
    spanId: '',
    traceState: '',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
  };
  let traceIdBytes = 0;
  let spanIdBytes = 0;
  let cut = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a: {
        const stop = r.delimited(end);
        traceIdBytes = stop - r.pos;
        link.traceId = traceIdBytes === 16 ? r.hex16() : '';
        r.pos = stop;
        break;
      }
      case 0x12: {
        const stop = r.delimited(end);
        spanIdBytes = stop - r.pos;
        link.spanId = spanIdBytes === 8 ? r.hex8() : '';
        r.pos = stop;
        break;
      }
      case 0x1a:
        link.traceState = r.string(end);
        break;
      case 0x22:
        if (link.attributes.length <= limits.maxAttributesPerLink) {
          link.attributes.push(decodeKeyValue(r, r.delimited(end), 0));
        } else {
          r.pos = r.delimited(end);
          cut++;
        }
        break;
      case 0x28:
        link.droppedAttributesCount = r.varint32(end);
        break;
      case 0x35:
        link.flags = r.fixed32(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  link.droppedAttributesCount += cut;
  links.push(link);
  r.message = outer;
  const problem = idProblem('trace id', traceIdBytes, 16, link.traceId === ZERO_TRACE_ID);
  return problem !== ''
    ? problem
    : idProblem('span id', spanIdBytes, 8, link.spanId === ZERO_SPAN_ID);
}

/*
 * readAnyValue leaves its result in these two variables instead of returning an
 * object, so an attribute is built as one { key, type, value } object with no
 * throwaway AnyValue. Callers copy them right after the call, before anything
 * else can call readAnyValue again.
 */
let valueType: ValueType = ValueType.Empty;
let valueValue: unknown = null;

// KeyValue
//   1 key    string
//   2 value  AnyValue (absent = empty)
function decodeKeyValue(r: WireReader, end: number, depth: number): Attribute {
  const outer = r.message;
  r.message = 'KeyValue';
  let key = '';
  let type: ValueType = ValueType.Empty;
  let value: unknown = null;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        key = r.string(end);
        break;
      case 0x12:
        readAnyValue(r, r.delimited(end), depth);
        type = valueType;
        value = valueValue;
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
  return { key, type, value } as Attribute;
}

// AnyValue (oneof; the last one present wins)
//   1 string_value  string
//   2 bool_value    bool (varint)
//   3 int_value     int64 (varint)
//   4 double_value  double (fixed64)
//   5 array_value   ArrayValue
//   6 kvlist_value  KeyValueList
//   7 bytes_value   bytes
function readAnyValue(r: WireReader, end: number, depth: number): void {
  const outer = r.message;
  r.message = 'AnyValue';
  let type: ValueType = ValueType.Empty;
  let value: unknown = null;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        type = ValueType.String;
        value = r.string(end);
        break;
      case 0x10:
        r.varint64(end);
        type = ValueType.Bool;
        value = (r.lo | r.hi) !== 0;
        break;
      case 0x18:
        r.varint64(end);
        type = ValueType.Int;
        value = int64(r.lo, r.hi);
        break;
      case 0x21:
        type = ValueType.Double;
        value = r.double(end);
        break;
      case 0x2a:
        if (depth >= MAX_ANY_VALUE_DEPTH) throw r.fail(TOO_DEEP);
        value = decodeArrayValue(r, r.delimited(end), depth + 1);
        type = ValueType.Array;
        break;
      case 0x32:
        if (depth >= MAX_ANY_VALUE_DEPTH) throw r.fail(TOO_DEEP);
        value = decodeKeyValueList(r, r.delimited(end), depth + 1);
        type = ValueType.KvList;
        break;
      case 0x3a:
        type = ValueType.Bytes;
        value = r.bytes(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  valueType = type;
  valueValue = value;
  r.message = outer;
}

/** A two's-complement int64 as a number when it is a safe integer, else a bigint. */
function int64(lo: number, hi: number): number | bigint {
  const high = hi | 0;
  // |high| < 2^21 keeps the value within ±2^53, where the arithmetic is exact.
  if (high >= -0x200000 && high < 0x200000) {
    const n = high * 4294967296 + lo;
    if (Number.isSafeInteger(n)) return n;
  }
  return (BigInt(high) << 32n) | BigInt(lo);
}

// ArrayValue
//   1 values  AnyValue (repeated)
function decodeArrayValue(r: WireReader, end: number, depth: number): AnyValue[] {
  const outer = r.message;
  r.message = 'ArrayValue';
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      readAnyValue(r, r.delimited(end), depth);
      values.push({ type: valueType, value: valueValue } as AnyValue);
    } else {
      r.skip(tag & 7, end);
    }
  }
  r.message = outer;
  return values;
}

// KeyValueList
//   1 values  KeyValue (repeated)
function decodeKeyValueList(r: WireReader, end: number, depth: number): Attribute[] {
  const outer = r.message;
  r.message = 'KeyValueList';
  const values: Attribute[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) values.push(decodeKeyValue(r, r.delimited(end), depth));
    else r.skip(tag & 7, end);
  }
  r.message = outer;
  return values;
}
