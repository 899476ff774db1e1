import type { Attribute, Resource, SpanEvent } from '../../model/span.ts';
import { ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { ThriftBinaryReader } from '../thrift/thrift-binary-reader.ts';
import type { ThriftReader } from '../thrift/thrift-reader.ts';
import { hex128, hex64 } from '../thrift/thrift-reader.ts';
import { ThriftType } from '../thrift/thrift-type.ts';
import {
  JaegerSpanBuilder,
  finishResource,
  newJaegerResource,
  processTag,
} from './jaeger-span-builder.ts';

/*
 * A hand-written decoder for jaeger.thrift `Batch` (proto/jaeger/thrift/jaeger.thrift, from
 * jaeger-idl), for either thrift protocol, straight into the span model. Above
 * each function the fields it reads as "id name type"; the `case` labels are
 * field keys (id << 8 | ThriftType), e.g. 0x10a = field 1, i64. Other fields,
 * and known ids with another type, are skipped.
 */

// Module-local copies of imported constants used per field: under tsx (dev, tests,
// benches) every access to an imported binding is a getter call, measured at ~10%
// of decode time.
const STRUCT = ThriftType.Struct;
const { String: STRING, Bool: BOOL, Int: INT, Double: DOUBLE, Bytes: BYTES } = ValueType;

/**
 * Decodes a jaeger.thrift Batch in the binary protocol (the Jaeger collector's
 * `POST /api/traces` body).
 * @throws InvalidPayloadError when the bytes are not a well-formed Batch.
 */
export function decodeJaegerThriftBatch(
  body: Uint8Array,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const r = new ThriftBinaryReader(body, 'Jaeger thrift (binary)');
  const builder = new JaegerSpanBuilder(limits);
  readBatch(r, builder);
  if (r.pos !== r.end) throw r.fail(`${r.end - r.pos} bytes after the end of the Batch`);
  return builder.result();
}

// Batch
//   1 process  Process
//   2 spans    list<Span>
//   3 seqNo    i64          (skipped)
//   4 stats    ClientStats  (skipped)
/** Reads one Batch struct; its spans go to `builder`. */
export function readBatch(r: ThriftReader, builder: JaegerSpanBuilder): void {
  r.struct = 'Batch';
  // Spans refer to the resource before the process fields may have been read.
  const resource = newJaegerResource();
  let serviceName = '';
  let hasProcess = false;
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    switch (key) {
      case 0x10c:
        serviceName = readProcess(r, resource);
        hasProcess = true;
        break;
      case 0x20f: {
        const count = structList(r, 'spans');
        for (let i = 0; i < count; i++) readSpan(r, builder, resource);
        break;
      }
      default:
        r.skip(key & 0xff);
    }
    r.struct = 'Batch';
  }
  r.structEnd();
  if (!hasProcess) throw r.fail('Batch has no process (a required field)');
  finishResource(resource, serviceName);
}

// Process
//   1 serviceName  string
//   2 tags         list<Tag>
/** Fills `resource` with the process tags; returns the service name. */
function readProcess(r: ThriftReader, resource: Resource): string {
  r.struct = 'Process';
  let serviceName = '';
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    switch (key) {
      case 0x10b:
        serviceName = r.string();
        break;
      case 0x20f: {
        const count = structList(r, 'tags');
        for (let i = 0; i < count; i++) processTag(resource, readTag(r));
        r.struct = 'Process';
        break;
      }
      default:
        r.skip(key & 0xff);
    }
  }
  r.structEnd();
  return serviceName;
}

// Span
//    1 traceIdLow     i64
//    2 traceIdHigh    i64   (0 for 64-bit trace ids)
//    3 spanId         i64
//    4 parentSpanId   i64   (0 for none)
//    5 operationName  string
//    6 references     list<SpanRef>
//    7 flags          i32
//    8 startTime      i64 (µs)
//    9 duration       i64 (µs)
//   10 tags           list<Tag>
//   11 logs           list<Log>
function readSpan(r: ThriftReader, builder: JaegerSpanBuilder, resource: Resource): void {
  r.struct = 'Span';
  const span = builder.begin(resource);
  let lowHi = 0;
  let lowLo = 0;
  let highHi = 0;
  let highLo = 0;
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    switch (key) {
      case 0x10a:
        r.i64();
        lowHi = r.hi;
        lowLo = r.lo;
        break;
      case 0x20a:
        r.i64();
        highHi = r.hi;
        highLo = r.lo;
        break;
      case 0x30a:
        r.i64();
        span.spanId = r.i64Hex();
        break;
      case 0x40a:
        r.i64();
        span.parentSpanId = r.i64Hex();
        break;
      case 0x50b:
        span.name = r.string();
        break;
      case 0x60f: {
        const count = structList(r, 'references');
        for (let i = 0; i < count; i++) readSpanRef(r, builder);
        break;
      }
      case 0x708:
        span.flags = r.i32() >>> 0;
        break;
      case 0x80a:
        r.i64();
        span.startTime = r.i64Number();
        break;
      case 0x90a:
        r.i64();
        span.duration = r.i64Number();
        break;
      case 0xa0f: {
        const count = structList(r, 'tags');
        for (let i = 0; i < count; i++) builder.tag(readTag(r));
        break;
      }
      case 0xb0f: {
        const count = structList(r, 'logs');
        for (let i = 0; i < count; i++) readLog(r, builder);
        break;
      }
      default:
        r.skip(key & 0xff);
    }
    r.struct = 'Span';
  }
  r.structEnd();
  span.traceId = hex128(highHi, highLo, lowHi, lowLo);
  builder.finish();
}

/** Reads a list header whose elements must be structs; returns the count. */
function structList(r: ThriftReader, name: string): number {
  const count = r.listBegin();
  if (r.elemType !== STRUCT && count > 0) throw r.fail(`${name} is not a list of structs`);
  return count;
}

// SpanRef
//   1 refType      i32 (SpanRefType: 0 CHILD_OF, 1 FOLLOWS_FROM)
//   2 traceIdLow   i64
//   3 traceIdHigh  i64
//   4 spanId       i64
function readSpanRef(r: ThriftReader, builder: JaegerSpanBuilder): void {
  r.struct = 'SpanRef';
  let refType = 0;
  let lowHi = 0;
  let lowLo = 0;
  let highHi = 0;
  let highLo = 0;
  let spanHi = 0;
  let spanLo = 0;
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    switch (key) {
      case 0x108:
        refType = r.i32();
        break;
      case 0x20a:
        r.i64();
        lowHi = r.hi;
        lowLo = r.lo;
        break;
      case 0x30a:
        r.i64();
        highHi = r.hi;
        highLo = r.lo;
        break;
      case 0x40a:
        r.i64();
        spanHi = r.hi;
        spanLo = r.lo;
        break;
      default:
        r.skip(key & 0xff);
    }
  }
  r.structEnd();
  builder.reference(refType, hex128(highHi, highLo, lowHi, lowLo), hex64(spanHi, spanLo));
}

// Log
//   1 timestamp  i64 (µs)
//   2 fields     list<Tag>
function readLog(r: ThriftReader, builder: JaegerSpanBuilder): void {
  r.struct = 'Log';
  // Fields may come before the timestamp; the event is created first and timed after.
  const event: SpanEvent = builder.log(0);
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    switch (key) {
      case 0x10a:
        r.i64();
        event.time = r.i64Number();
        break;
      case 0x20f: {
        const count = structList(r, 'fields');
        for (let i = 0; i < count; i++) builder.logField(event, readTag(r));
        r.struct = 'Log';
        break;
      }
      default:
        r.skip(key & 0xff);
    }
  }
  r.structEnd();
}

/** jaeger.thrift `TagType`. */
const TagType = { String: 0, Double: 1, Bool: 2, Long: 3, Binary: 4 } as const;

// Tag
//   1 key      string
//   2 vType    i32 (TagType: 0 STRING, 1 DOUBLE, 2 BOOL, 3 LONG, 4 BINARY)
//   3 vStr     string
//   4 vDouble  double
//   5 vBool    bool
//   6 vLong    i64
//   7 vBinary  binary
/** A tag as an attribute of the type `vType` names (an unknown type reads as its vStr). */
function readTag(r: ThriftReader): Attribute {
  r.struct = 'Tag';
  let key = '';
  let vType = 0;
  let str = '';
  let double = 0;
  let bool = false;
  let long: number | bigint = 0;
  let binary: Uint8Array | undefined;
  r.structBegin();
  let fieldKey: number;
  while ((fieldKey = r.field()) !== 0) {
    switch (fieldKey) {
      case 0x10b:
        key = r.string();
        break;
      case 0x208:
        vType = r.i32();
        break;
      case 0x30b:
        str = r.string();
        break;
      case 0x404:
        double = r.double();
        break;
      case 0x502:
        bool = r.bool();
        break;
      case 0x60a:
        r.i64();
        long = r.i64Value();
        break;
      case 0x70b:
        binary = r.binary();
        break;
      default:
        r.skip(fieldKey & 0xff);
    }
  }
  r.structEnd();
  switch (vType) {
    case TagType.Double:
      return { key, type: DOUBLE, value: double };
    case TagType.Bool:
      return { key, type: BOOL, value: bool };
    case TagType.Long:
      return { key, type: INT, value: long };
    case TagType.Binary:
      return { key, type: BYTES, value: binary ?? new Uint8Array(0) };
    default:
      return { key, type: STRING, value: str };
  }
}
