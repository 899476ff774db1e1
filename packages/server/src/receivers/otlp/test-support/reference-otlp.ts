/**
 * The reference OTLP decoder for tests: protobufjs reading the .proto files in
 * packages/server/proto/otlp at run time (nothing generated to keep in sync),
 * plus a plain, unoptimised conversion of its output into the span model. The
 * hand-written decoders must produce deep-equal results.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { AnyValue, Attribute, Resource, Scope, Span } from '../../../model/span.ts';
import { UNKNOWN_SERVICE, ValueType } from '../../../model/span.ts';
import type { DecodeResult } from '../../decode-result.ts';

export const OTLP_PROTO_DIR = fileURLToPath(new URL('../../../../proto/otlp/', import.meta.url));
const REQUEST_TYPE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

/** The google.rpc messages OTLP error answers carry (not among the OTLP .proto files). */
const GOOGLE_RPC = `syntax = "proto3";
  package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }`;

/**
 * A fresh protobufjs Root with the OTLP trace service schema loaded, and
 * google.rpc.Status and RetryInfo.
 */
export function loadOtlpRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(OTLP_PROTO_DIR, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  protobuf.parse(GOOGLE_RPC, root);
  return root;
}

let shared: protobuf.Type | undefined;

/** The ExportTraceServiceRequest type of a shared Root (do not modify it). */
export function requestType(): protobuf.Type {
  shared ??= loadOtlpRoot().lookupType(REQUEST_TYPE);
  return shared;
}

/**
 * Encodes a plain request object (camelCase, as protobufjs `fromObject` takes it:
 * bytes as Uint8Array or base64, 64-bit values as strings or numbers).
 */
export function encodeOtlpRequest(request: object, type = requestType()): Uint8Array {
  return type.encode(type.fromObject(request)).finish();
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** A copy of an OTLP/JSON value with hex ids as bytes, which protobufjs `fromObject` wants. */
function hexIdsToBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIdsToBytes);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = ID_FIELDS.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex') : hexIdsToBytes(v);
  }
  return out;
}

/** Encodes an OTLP/JSON request (camelCase, hex ids) as OTLP/protobuf: the same logical request. */
export function encodeOtlpJsonAsProto(json: object): Uint8Array {
  return encodeOtlpRequest(hexIdsToBytes(json) as object);
}

/** The request as protobufjs decodes it, in plain objects (64-bit values as strings). */
export function referenceObject(buf: Uint8Array): ReferenceRequest {
  const type = requestType();
  return type.toObject(type.decode(buf), {
    longs: String,
    enums: Number,
    bytes: Array,
    defaults: true,
    arrays: true,
    oneofs: true,
  }) as ReferenceRequest;
}

/** protobufjs decode + conversion: what decodeOtlpProto must return (error message aside). */
export function referenceDecodeOtlpProto(buf: Uint8Array): DecodeResult {
  return referenceToModel(referenceObject(buf));
}

interface RefKeyValue {
  key: string;
  value: RefAnyValue | null;
}
interface RefAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  bytesValue?: number[];
  arrayValue?: { values: RefAnyValue[] };
  kvlistValue?: { values: RefKeyValue[] };
}
interface RefSpan {
  traceId: number[];
  spanId: number[];
  traceState: string;
  parentSpanId: number[];
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: RefKeyValue[];
  droppedAttributesCount: number;
  events: {
    timeUnixNano: string;
    name: string;
    attributes: RefKeyValue[];
    droppedAttributesCount: number;
  }[];
  droppedEventsCount: number;
  links: {
    traceId: number[];
    spanId: number[];
    traceState: string;
    attributes: RefKeyValue[];
    droppedAttributesCount: number;
    flags: number;
  }[];
  droppedLinksCount: number;
  status: { message: string; code: number } | null;
}
export interface ReferenceRequest {
  resourceSpans: {
    resource: { attributes: RefKeyValue[]; droppedAttributesCount: number } | null;
    schemaUrl: string;
    scopeSpans: {
      scope: {
        name: string;
        version: string;
        attributes: RefKeyValue[];
        droppedAttributesCount: number;
      } | null;
      schemaUrl: string;
      spans: RefSpan[];
    }[];
  }[];
}

function hex(bytes: number[]): string {
  return Buffer.from(bytes).toString('hex');
}

function micros(nanos: string): number {
  return Number(BigInt(nanos) / 1000n);
}

function statusCode(code: number): Span['statusCode'] {
  return (code >= 0 && code <= 2 ? code : 0) as Span['statusCode'];
}

function validId(bytes: number[], length: number): boolean {
  return bytes.length === length && bytes.some((b) => b !== 0);
}

function anyValue(v: RefAnyValue | null): AnyValue {
  switch (v?.value) {
    case 'stringValue':
      return { type: ValueType.String, value: v.stringValue! };
    case 'boolValue':
      return { type: ValueType.Bool, value: v.boolValue! };
    case 'intValue': {
      const big = BigInt(v.intValue!);
      const n = Number(big);
      return { type: ValueType.Int, value: Number.isSafeInteger(n) ? n : big };
    }
    case 'doubleValue':
      return { type: ValueType.Double, value: v.doubleValue! };
    case 'bytesValue':
      return { type: ValueType.Bytes, value: new Uint8Array(v.bytesValue!) };
    case 'arrayValue':
      return { type: ValueType.Array, value: v.arrayValue!.values.map(anyValue) };
    case 'kvlistValue':
      return { type: ValueType.KvList, value: attributes(v.kvlistValue!.values) };
    default:
      return { type: ValueType.Empty, value: null };
  }
}

function attributes(list: RefKeyValue[]): Attribute[] {
  return list.map((kv) => ({ key: kv.key, ...anyValue(kv.value) }) as Attribute);
}

/** Converts protobufjs's plain object into the span model, applying Skein's id rules. */
export function referenceToModel(request: ReferenceRequest): DecodeResult {
  const spans: Span[] = [];
  let rejectedSpans = 0;
  for (const rs of request.resourceSpans) {
    const resourceAttributes = attributes(rs.resource?.attributes ?? []);
    const serviceName = resourceAttributes.find(
      (a) => a.key === 'service.name' && a.type === ValueType.String && a.value !== '',
    );
    const resource: Resource = {
      serviceName: serviceName === undefined ? UNKNOWN_SERVICE : (serviceName.value as string),
      tenant: '',
      attributes: resourceAttributes,
      droppedAttributesCount: rs.resource?.droppedAttributesCount ?? 0,
      schemaUrl: rs.schemaUrl,
    };
    for (const ss of rs.scopeSpans) {
      const scope: Scope = {
        name: ss.scope?.name ?? '',
        version: ss.scope?.version ?? '',
        attributes: attributes(ss.scope?.attributes ?? []),
        droppedAttributesCount: ss.scope?.droppedAttributesCount ?? 0,
        schemaUrl: ss.schemaUrl,
      };
      for (const s of ss.spans) {
        const parentOk = s.parentSpanId.length === 0 || s.parentSpanId.length === 8;
        const linksOk = s.links.every((l) => validId(l.traceId, 16) && validId(l.spanId, 8));
        if (!validId(s.traceId, 16) || !validId(s.spanId, 8) || !parentOk || !linksOk) {
          rejectedSpans++;
          continue;
        }
        const start = micros(s.startTimeUnixNano);
        const end = micros(s.endTimeUnixNano);
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: validId(s.parentSpanId, 8) ? hex(s.parentSpanId) : '',
          traceState: s.traceState,
          flags: s.flags,
          name: s.name,
          kind: (s.kind >= 0 && s.kind <= 5 ? s.kind : 0) as Span['kind'],
          startTime: start,
          duration: Math.max(0, end - start),
          attributes: attributes(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount,
          events: s.events.map((e) => ({
            time: micros(e.timeUnixNano),
            name: e.name,
            attributes: attributes(e.attributes),
            droppedAttributesCount: e.droppedAttributesCount,
          })),
          droppedEventsCount: s.droppedEventsCount,
          links: s.links.map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            traceState: l.traceState,
            attributes: attributes(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount,
            flags: l.flags,
          })),
          droppedLinksCount: s.droppedLinksCount,
          statusCode: statusCode(s.status?.code ?? 0),
          statusMessage: s.status?.message ?? '',
          resource,
          scope,
        });
      }
    }
  }
  return {
    spans,
    rejectedSpans,
    errorMessage: rejectedSpans === 0 ? '' : `${rejectedSpans} rejected`,
  };
}
