import { InvalidPayloadError } from '../../errors.ts';
import type { AnyValue } from '../../model/span.ts';
import { ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { ThriftBinaryReader } from '../thrift/thrift-binary-reader.ts';
import type { ThriftReader } from '../thrift/thrift-reader.ts';
import { ThriftType } from '../thrift/thrift-type.ts';
import { formatIpv6 } from './ip-address.ts';
import { ZipkinSpanBuilder } from './zipkin-span-builder.ts';
import { addV1Span } from './zipkin-v1-span.ts';
import type { V1Annotation, V1BinaryAnnotation, V1Endpoint, V1Span } from './zipkin-v1-span.ts';

/*
 * zipkincore.thrift (Zipkin v1), as `POST /api/v1/spans` receives it with
 * Content-Type application/x-thrift: a binary-protocol list<Span>. A field is
 * matched on `id << 8 | type`, so a known id sent with another type is skipped.
 *
 * Span               1 trace_id i64, 3 name string, 4 id i64, 5 parent_id i64,
 *                    6 annotations list<Annotation>, 8 binary_annotations
 *                    list<BinaryAnnotation>, 9 debug bool, 10 timestamp i64,
 *                    11 duration i64, 12 trace_id_high i64
 * Annotation         1 timestamp i64, 2 value string, 3 host Endpoint
 * BinaryAnnotation   1 key string, 2 value binary, 3 annotation_type i32, 4 host Endpoint
 * Endpoint           1 ipv4 i32, 2 port i16, 3 service_name string, 4 ipv6 binary
 */

const FORMAT = 'Zipkin thrift';

const key = (id: number, type: number) => (id << 8) | type;
const SPAN_TRACE_ID = key(1, ThriftType.I64);
const SPAN_NAME = key(3, ThriftType.String);
const SPAN_ID = key(4, ThriftType.I64);
const SPAN_PARENT_ID = key(5, ThriftType.I64);
const SPAN_ANNOTATIONS = key(6, ThriftType.List);
const SPAN_BINARY_ANNOTATIONS = key(8, ThriftType.List);
const SPAN_DEBUG = key(9, ThriftType.Bool);
const SPAN_TIMESTAMP = key(10, ThriftType.I64);
const SPAN_DURATION = key(11, ThriftType.I64);
const SPAN_TRACE_ID_HIGH = key(12, ThriftType.I64);
const ANNOTATION_TIMESTAMP = key(1, ThriftType.I64);
const ANNOTATION_VALUE = key(2, ThriftType.String);
const ANNOTATION_HOST = key(3, ThriftType.Struct);
const BINARY_KEY = key(1, ThriftType.String);
const BINARY_VALUE = key(2, ThriftType.String);
const BINARY_TYPE = key(3, ThriftType.I32);
const BINARY_HOST = key(4, ThriftType.Struct);
const ENDPOINT_IPV4 = key(1, ThriftType.I32);
const ENDPOINT_PORT = key(2, ThriftType.I16);
const ENDPOINT_SERVICE = key(3, ThriftType.String);
const ENDPOINT_IPV6 = key(4, ThriftType.String);

/**
 * Decodes a binary-protocol list of zipkincore Spans.
 * @throws InvalidPayloadError when the bytes are not such a list.
 */
export function decodeZipkinThrift(
  buf: Uint8Array,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const r = new ThriftBinaryReader(buf, FORMAT);
  const b = new ZipkinSpanBuilder(limits);
  r.struct = 'list<Span>';
  const count = r.listBegin();
  if (r.elemType !== ThriftType.Struct) {
    throw r.fail(`list of type ${r.elemType}, want a list of Span structs (12)`);
  }
  readZipkinThriftSpans(r, count, b);
  if (r.pos !== r.end) {
    throw new InvalidPayloadError([FORMAT, `${r.end - r.pos} bytes after the list of spans`]);
  }
  return b.result();
}

/**
 * Reads `count` zipkincore Span structs (after their list header) into the
 * builder; the Jaeger agent's `emitZipkinBatch` carries the same list.
 */
export function readZipkinThriftSpans(r: ThriftReader, count: number, b: ZipkinSpanBuilder): void {
  for (let i = 0; i < count; i++) addV1Span(b, readSpan(r));
}

function readSpan(r: ThriftReader): V1Span {
  const span: V1Span = {
    traceId: '',
    id: '',
    parentId: '',
    name: '',
    timestamp: 0,
    duration: 0,
    debug: false,
    annotations: [],
    binaryAnnotations: [],
  };
  let traceIdHigh = '';
  r.structBegin();
  r.struct = 'Span';
  let k: number;
  while ((k = r.field()) !== 0) {
    switch (k) {
      case SPAN_TRACE_ID:
        r.i64();
        span.traceId = r.i64Hex();
        break;
      case SPAN_NAME:
        span.name = r.string();
        break;
      case SPAN_ID:
        r.i64();
        span.id = r.i64Hex();
        break;
      case SPAN_PARENT_ID:
        r.i64();
        span.parentId = r.i64Hex();
        break;
      case SPAN_ANNOTATIONS: {
        const n = r.listBegin();
        const type = r.elemType;
        for (let j = 0; j < n; j++) {
          if (type === ThriftType.Struct) span.annotations.push(readAnnotation(r));
          else r.skip(type);
        }
        break;
      }
      case SPAN_BINARY_ANNOTATIONS: {
        const n = r.listBegin();
        const type = r.elemType;
        for (let j = 0; j < n; j++) {
          if (type === ThriftType.Struct) span.binaryAnnotations.push(readBinaryAnnotation(r));
          else r.skip(type);
        }
        break;
      }
      case SPAN_DEBUG:
        span.debug = r.bool();
        break;
      case SPAN_TIMESTAMP:
        r.i64();
        span.timestamp = r.i64Number();
        break;
      case SPAN_DURATION:
        r.i64();
        span.duration = r.i64Number();
        break;
      case SPAN_TRACE_ID_HIGH:
        r.i64();
        traceIdHigh = r.i64Hex();
        break;
      default:
        r.skip(k & 0xff);
    }
    r.struct = 'Span';
  }
  r.structEnd();
  if (traceIdHigh !== '' && traceIdHigh !== '0000000000000000') {
    span.traceId = traceIdHigh + span.traceId;
  }
  return span;
}

function readAnnotation(r: ThriftReader): V1Annotation {
  const a: V1Annotation = { timestamp: 0, value: '', endpoint: null };
  r.structBegin();
  r.struct = 'Annotation';
  let k: number;
  while ((k = r.field()) !== 0) {
    switch (k) {
      case ANNOTATION_TIMESTAMP:
        r.i64();
        a.timestamp = Math.max(0, r.i64Number());
        break;
      case ANNOTATION_VALUE:
        a.value = r.string();
        break;
      case ANNOTATION_HOST:
        a.endpoint = readEndpoint(r);
        r.struct = 'Annotation';
        break;
      default:
        r.skip(k & 0xff);
    }
  }
  r.structEnd();
  return a;
}

function readBinaryAnnotation(r: ThriftReader): V1BinaryAnnotation {
  let name = '';
  let raw: Uint8Array = new Uint8Array(0);
  let type = 6;
  let endpoint: V1Endpoint | null = null;
  r.structBegin();
  r.struct = 'BinaryAnnotation';
  let k: number;
  while ((k = r.field()) !== 0) {
    switch (k) {
      case BINARY_KEY:
        name = r.string();
        break;
      case BINARY_VALUE:
        raw = r.binary();
        break;
      case BINARY_TYPE:
        type = r.i32();
        break;
      case BINARY_HOST:
        endpoint = readEndpoint(r);
        r.struct = 'BinaryAnnotation';
        break;
      default:
        r.skip(k & 0xff);
    }
  }
  r.structEnd();
  return { key: name, value: binaryValue(r, name, type, raw), endpoint };
}

/** The typed value of a binary annotation (big-endian numbers, as thrift writes them). */
function binaryValue(r: ThriftReader, name: string, type: number, raw: Uint8Array): AnyValue {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const want = [1, -1, 2, 4, 8, 8, -1][type];
  if (want === undefined) throw r.fail(`binary annotation "${name}" has unknown type ${type}`);
  if (want > 0 && raw.byteLength !== want) {
    throw r.fail(
      `binary annotation "${name}" of type ${type} has ${raw.byteLength} bytes, want ${want}`,
    );
  }
  switch (type) {
    case 0:
      return { type: ValueType.Bool, value: raw[0] !== 0 };
    case 1:
      return { type: ValueType.Bytes, value: raw };
    case 2:
      return { type: ValueType.Int, value: view.getInt16(0) };
    case 3:
      return { type: ValueType.Int, value: view.getInt32(0) };
    case 4: {
      const v = view.getBigInt64(0);
      const n = Number(v);
      return { type: ValueType.Int, value: Number.isSafeInteger(n) ? n : v };
    }
    case 5:
      return { type: ValueType.Double, value: view.getFloat64(0) };
    default:
      return { type: ValueType.String, value: Buffer.from(raw).toString('utf8') };
  }
}

function readEndpoint(r: ThriftReader): V1Endpoint {
  const e: V1Endpoint = { serviceName: '', ip: '', port: 0 };
  let ipv6 = '';
  r.structBegin();
  r.struct = 'Endpoint';
  let k: number;
  while ((k = r.field()) !== 0) {
    switch (k) {
      case ENDPOINT_IPV4: {
        const ip = r.i32() >>> 0;
        if (ip !== 0) e.ip = `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
        break;
      }
      case ENDPOINT_PORT:
        e.port = r.i16() & 0xffff;
        break;
      case ENDPOINT_SERVICE:
        e.serviceName = r.string();
        break;
      case ENDPOINT_IPV6: {
        const raw = r.binary();
        if (raw.byteLength === 16) ipv6 = formatIpv6(raw, 0);
        break;
      }
      default:
        r.skip(k & 0xff);
    }
  }
  r.structEnd();
  if (e.ip === '') e.ip = ipv6;
  return e;
}
