import type { SpanKind } from '../../model/span.ts';
import { SpanKind as Kind } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { WireReader } from '../wire-reader.ts';
import { formatIpv6 } from './ip-address.ts';
import { ZipkinSpanBuilder } from './zipkin-span-builder.ts';

/*
 * A hand-written decoder for zipkin.proto3.ListOfSpans (proto/zipkin/zipkin.proto),
 * `POST /api/v2/spans` with Content-Type application/x-protobuf, straight into the
 * span model through ZipkinSpanBuilder. Above each function, the wire fields it
 * reads; unknown fields are skipped, as protobuf parsers do. Every length is
 * checked against its message's end by WireReader before anything is read.
 */

const FORMAT = 'Zipkin protobuf';

/**
 * Decodes a Zipkin protobuf ListOfSpans.
 * @throws InvalidPayloadError when the bytes are not a well-formed message.
 */
export function decodeZipkinProto(
  buf: Uint8Array,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const r = new WireReader(buf, FORMAT);
  const b = new ZipkinSpanBuilder(limits);
  const end = buf.byteLength;
  r.message = 'ListOfSpans';
  // ListOfSpans
  //   1 spans  Span (repeated)
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) decodeSpan(r, r.delimited(end), b);
    else r.skip(tag & 7, end);
  }
  return b.result();
}

/** Zipkin proto's Span.Kind numbering (CLIENT = 1 ...) → span kind. */
function kindFromProto(n: number): SpanKind {
  switch (n) {
    case 1:
      return Kind.Client;
    case 2:
      return Kind.Server;
    case 3:
      return Kind.Producer;
    case 4:
      return Kind.Consumer;
    default:
      return Kind.Internal;
  }
}

/** Hex of an id field of 8 or 16 bytes; any other length is kept as a marker the builder rejects. */
function idHex(r: WireReader, end: number): string {
  const stop = r.delimited(end);
  const n = stop - r.pos;
  const hex = n === 16 ? r.hex16() : n === 8 ? r.hex8() : n === 0 ? '' : `(${n} bytes)`;
  r.pos = stop;
  return hex;
}

// Span
//    1 trace_id         bytes (8 or 16)
//    2 parent_id        bytes (8)
//    3 id               bytes (8)
//    4 kind             Kind (varint)
//    5 name             string
//    6 timestamp        fixed64 (µs)
//    7 duration         uint64 (µs)
//    8 local_endpoint   Endpoint
//    9 remote_endpoint  Endpoint
//   10 annotations      Annotation (repeated)
//   11 tags             map<string, string>
//   12 debug            bool
//   13 shared           bool
function decodeSpan(r: WireReader, end: number, b: ZipkinSpanBuilder): void {
  r.message = 'Span';
  b.begin();
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        b.traceId = idHex(r, end);
        break;
      case 0x12:
        b.parentId = idHex(r, end);
        break;
      case 0x1a:
        b.spanId = idHex(r, end);
        break;
      case 0x20:
        b.kind = kindFromProto(r.varint32(end));
        break;
      case 0x2a:
        b.name = r.string(end);
        break;
      case 0x31:
        r.fixed64(end);
        b.timestamp = r.hi * 4294967296 + r.lo;
        break;
      case 0x38:
        r.varint64(end);
        b.duration = r.hi * 4294967296 + r.lo;
        break;
      case 0x42:
        decodeEndpoint(r, r.delimited(end), b, true);
        break;
      case 0x4a:
        decodeEndpoint(r, r.delimited(end), b, false);
        break;
      case 0x52:
        decodeAnnotation(r, r.delimited(end), b);
        break;
      case 0x5a:
        decodeTag(r, r.delimited(end), b);
        break;
      case 0x60:
        b.debug = r.varint32(end) !== 0;
        break;
      case 0x68:
        b.shared = r.varint32(end) !== 0;
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  b.finish();
  r.message = 'ListOfSpans';
}

// Endpoint
//   1 service_name  string
//   2 ipv4          bytes (4)
//   3 ipv6          bytes (16)
//   4 port          int32
function decodeEndpoint(r: WireReader, end: number, b: ZipkinSpanBuilder, local: boolean): void {
  const outer = r.message;
  r.message = local ? 'Span.local_endpoint' : 'Span.remote_endpoint';
  let service = '';
  let ipv4 = '';
  let ipv6 = '';
  let port = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        service = r.string(end);
        break;
      case 0x12: {
        const stop = r.delimited(end);
        if (stop - r.pos === 4) {
          const p = r.pos;
          ipv4 = `${r.buf[p]}.${r.buf[p + 1]}.${r.buf[p + 2]}.${r.buf[p + 3]}`;
        }
        r.pos = stop;
        break;
      }
      case 0x1a: {
        const stop = r.delimited(end);
        if (stop - r.pos === 16) ipv6 = formatIpv6(r.buf, r.pos);
        r.pos = stop;
        break;
      }
      case 0x20:
        port = r.varint32(end) & 0xffff;
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  const ip = ipv4 !== '' ? ipv4 : ipv6;
  if (local) {
    b.localService = service;
    b.localIp(ip);
    b.localPort(port);
  } else {
    b.remoteService(service);
    b.remoteIp(ip);
    b.remotePort(port);
  }
  r.message = outer;
}

// Annotation
//   1 timestamp  fixed64 (µs)
//   2 value      string
function decodeAnnotation(r: WireReader, end: number, b: ZipkinSpanBuilder): void {
  const outer = r.message;
  r.message = 'Annotation';
  let time = 0;
  let value = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x09:
        r.fixed64(end);
        time = r.hi * 4294967296 + r.lo;
        break;
      case 0x12:
        value = r.string(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  b.annotation(time, value);
  r.message = outer;
}

// Span.TagsEntry (map entry)
//   1 key    string
//   2 value  string
function decodeTag(r: WireReader, end: number, b: ZipkinSpanBuilder): void {
  const outer = r.message;
  r.message = 'Span.tags';
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
        key = r.string(end);
        break;
      case 0x12:
        value = r.string(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  b.tag(key, value);
  r.message = outer;
}
