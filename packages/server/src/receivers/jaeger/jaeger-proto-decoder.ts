import type { Attribute, Resource } from '../../model/span.ts';
import { ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { WireReader } from '../wire-reader.ts';
import {
  JaegerSpanBuilder,
  finishResource,
  newJaegerResource,
  processTag,
} from './jaeger-span-builder.ts';

/*
 * A hand-written decoder for jaeger.api_v2 PostSpansRequest (proto/jaeger,
 * gogo-generated on Jaeger's side: ids are raw bytes, times are
 * google.protobuf.Timestamp / Duration), straight into the span model. Above
 * each function the wire fields it reads as "number name type"; `case` labels
 * are tags (number << 3 | wire type) in hex. Other fields are skipped.
 */

const FORMAT = 'Jaeger api_v2 protobuf';
const ZEROS_64 = '0'.repeat(16);

/**
 * Decodes a `jaeger.api_v2.PostSpansRequest`.
 * @throws InvalidPayloadError when the bytes are not a well-formed message.
 */
export function decodePostSpansRequest(
  buf: Uint8Array,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const r = new WireReader(buf, FORMAT);
  const builder = new JaegerSpanBuilder(limits);
  const end = buf.byteLength;
  r.message = 'PostSpansRequest';
  // PostSpansRequest
  //   1 batch  Batch
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) readBatch(r, r.delimited(end), builder);
    else r.skip(tag & 7, end);
  }
  return builder.result();
}

// Batch
//   1 spans    Span (repeated)
//   2 process  Process (spans without their own process belong to it)
function readBatch(r: WireReader, end: number, builder: JaegerSpanBuilder): void {
  const outer = r.message;
  r.message = 'Batch';
  // Spans come before the process on the wire (field order), so they share an
  // object that is filled in when the process arrives.
  const resource = newJaegerResource();
  let serviceName = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        readSpan(r, r.delimited(end), builder, resource);
        break;
      case 0x12:
        serviceName = readProcess(r, r.delimited(end), resource);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  finishResource(resource, serviceName);
  r.message = outer;
}

// Process
//   1 service_name  string
//   2 tags          KeyValue (repeated)
/** Fills `resource` with the process tags; returns the service name. */
function readProcess(r: WireReader, end: number, resource: Resource): string {
  const outer = r.message;
  r.message = 'Process';
  let serviceName = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        serviceName = r.string(end);
        break;
      case 0x12:
        processTag(resource, readKeyValue(r, r.delimited(end)));
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
  return serviceName;
}

// Span
//    1 trace_id        bytes (16; 8 for a 64-bit id)
//    2 span_id         bytes (8)
//    3 operation_name  string
//    4 references      SpanRef (repeated)
//    5 flags           uint32
//    6 start_time      google.protobuf.Timestamp
//    7 duration        google.protobuf.Duration
//    8 tags            KeyValue (repeated)
//    9 logs            Log (repeated)
//   10 process         Process (overrides the batch's)
function readSpan(
  r: WireReader,
  end: number,
  builder: JaegerSpanBuilder,
  batchResource: Resource,
): void {
  const outer = r.message;
  r.message = 'Span';
  const span = builder.begin(batchResource);
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        span.traceId = traceIdOf(r, r.delimited(end));
        break;
      case 0x12:
        span.spanId = spanIdOf(r, r.delimited(end));
        break;
      case 0x1a:
        span.name = r.string(end);
        break;
      case 0x22:
        readSpanRef(r, r.delimited(end), builder);
        break;
      case 0x28:
        span.flags = r.varint32(end);
        break;
      case 0x32:
        span.startTime = readMicros(r, r.delimited(end));
        break;
      case 0x3a:
        span.duration = readMicros(r, r.delimited(end));
        break;
      case 0x42:
        builder.tag(readKeyValue(r, r.delimited(end)));
        break;
      case 0x4a:
        readLog(r, r.delimited(end), builder);
        break;
      case 0x52: {
        const resource = newJaegerResource();
        finishResource(resource, readProcess(r, r.delimited(end), resource));
        span.resource = resource;
        break;
      }
      default:
        r.skip(tag & 7, end);
    }
  }
  builder.finish();
  r.message = outer;
}

/** Hex of a trace id field ending at `stop` ('' when it is not 8 or 16 bytes). */
function traceIdOf(r: WireReader, stop: number): string {
  const length = stop - r.pos;
  const hex = length === 16 ? r.hex16() : length === 8 ? ZEROS_64 + r.hex8() : '';
  r.pos = stop;
  return hex;
}

/** Hex of a span id field ending at `stop` ('' when it is not 8 bytes). */
function spanIdOf(r: WireReader, stop: number): string {
  const hex = stop - r.pos === 8 ? r.hex8() : '';
  r.pos = stop;
  return hex;
}

// SpanRef
//   1 trace_id  bytes
//   2 span_id   bytes
//   3 ref_type  SpanRefType (0 CHILD_OF, 1 FOLLOWS_FROM)
function readSpanRef(r: WireReader, end: number, builder: JaegerSpanBuilder): void {
  const outer = r.message;
  r.message = 'SpanRef';
  let traceId = '';
  let spanId = '';
  let refType = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        traceId = traceIdOf(r, r.delimited(end));
        break;
      case 0x12:
        spanId = spanIdOf(r, r.delimited(end));
        break;
      case 0x18:
        refType = r.varint32(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  if (traceId === '' || spanId === '')
    throw r.fail('reference without a valid trace id and span id');
  builder.reference(refType, traceId, spanId);
  r.message = outer;
}

// Log
//   1 timestamp  google.protobuf.Timestamp
//   2 fields     KeyValue (repeated)
function readLog(r: WireReader, end: number, builder: JaegerSpanBuilder): void {
  const outer = r.message;
  r.message = 'Log';
  const event = builder.log(0);
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        event.time = readMicros(r, r.delimited(end));
        break;
      case 0x12:
        builder.logField(event, readKeyValue(r, r.delimited(end)));
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
}

// google.protobuf.Timestamp / Duration
//   1 seconds  int64
//   2 nanos    int32
/** A Timestamp (µs since epoch) or Duration (µs), nanoseconds truncated. */
function readMicros(r: WireReader, end: number): number {
  const outer = r.message;
  r.message = 'Timestamp';
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x08:
        r.varint64(end);
        seconds = (r.hi | 0) * 4294967296 + r.lo;
        break;
      case 0x10:
        nanos = r.varint32(end) | 0;
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
  return seconds * 1_000_000 + Math.trunc(nanos / 1000);
}

/** api_v2 `ValueType`. */
const ProtoValueType = { String: 0, Bool: 1, Int64: 2, Float64: 3, Binary: 4 } as const;

// KeyValue
//   1 key        string
//   2 v_type     ValueType (0 STRING, 1 BOOL, 2 INT64, 3 FLOAT64, 4 BINARY)
//   3 v_str      string
//   4 v_bool     bool
//   5 v_int64    int64
//   6 v_float64  double
//   7 v_binary   bytes
/** A tag as an attribute of the type `v_type` names (an unknown type reads as its v_str). */
function readKeyValue(r: WireReader, end: number): Attribute {
  const outer = r.message;
  r.message = 'KeyValue';
  let key = '';
  let vType = 0;
  let str = '';
  let bool = false;
  let int: number | bigint = 0;
  let double = 0;
  let binary: Uint8Array | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        key = r.string(end);
        break;
      case 0x10:
        vType = r.varint32(end);
        break;
      case 0x1a:
        str = r.string(end);
        break;
      case 0x20:
        r.varint64(end);
        bool = (r.lo | r.hi) !== 0;
        break;
      case 0x28:
        r.varint64(end);
        int = int64(r.lo, r.hi);
        break;
      case 0x31:
        double = r.double(end);
        break;
      case 0x3a:
        binary = r.bytes(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.message = outer;
  switch (vType) {
    case ProtoValueType.Bool:
      return { key, type: ValueType.Bool, value: bool };
    case ProtoValueType.Int64:
      return { key, type: ValueType.Int, value: int };
    case ProtoValueType.Float64:
      return { key, type: ValueType.Double, value: double };
    case ProtoValueType.Binary:
      return { key, type: ValueType.Bytes, value: binary ?? new Uint8Array(0) };
    default:
      return { key, type: ValueType.String, value: str };
  }
}

/** A two's-complement int64 as a number when it is a safe integer, else a bigint. */
function int64(lo: number, hi: number): number | bigint {
  const high = hi | 0;
  if (high >= -0x200000 && high < 0x200000) {
    const n = high * 4294967296 + lo;
    if (Number.isSafeInteger(n)) return n;
  }
  return (BigInt(high) << 32n) | BigInt(lo);
}
