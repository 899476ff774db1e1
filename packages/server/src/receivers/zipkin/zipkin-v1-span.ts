import type { AnyValue, Attribute, SpanKind } from '../../model/span.ts';
import { SpanKind as Kind } from '../../model/span.ts';
import type { ZipkinSpanBuilder } from './zipkin-span-builder.ts';

/*
 * Zipkin v1 spans (JSON v1 and thrift zipkincore.Span) as both decoders read them,
 * and their conversion to the model (after Zipkin's own V1SpanConverter):
 *
 * - core annotations give kind and timing: cs/cr → CLIENT (cs..cr), sr/ss → SERVER
 *   (sr..ss), ms → PRODUCER, mr → CONSUMER; they do not become events;
 * - a v1 span with both client and server annotations (both sides reported one
 *   RPC under one id) becomes two spans: the CLIENT span and a shared SERVER span;
 *   a server-only span without `timestamp` is shared too (v1 leaves the
 *   timestamp to the side that started the span);
 * - the local endpoint is the endpoint of the core annotations, else of the `lc`
 *   binary annotation, else of the first annotation that has one;
 * - binary annotations `sa` / `ca` / `ma` (address annotations) give the remote
 *   endpoint; every other one becomes a typed attribute;
 * - other annotations become events.
 */

export interface V1Endpoint {
  serviceName: string;
  /** IPv4 when known, else IPv6, else ''. */
  ip: string;
  port: number;
}

export interface V1Annotation {
  timestamp: number;
  value: string;
  endpoint: V1Endpoint | null;
}

export interface V1BinaryAnnotation {
  key: string;
  value: AnyValue;
  endpoint: V1Endpoint | null;
}

export interface V1Span {
  /** Hex as sent (16 or 32 digits; thrift's trace_id_high already in front). */
  traceId: string;
  id: string;
  parentId: string;
  name: string;
  /** µs; 0 when absent. */
  timestamp: number;
  duration: number;
  debug: boolean;
  annotations: V1Annotation[];
  binaryAnnotations: V1BinaryAnnotation[];
}

/** One side of a v1 span: a model span under construction. */
interface Side {
  kind: SpanKind;
  shared: boolean;
  local: V1Endpoint | null;
  remote: V1Endpoint | null;
  timestamp: number;
  duration: number;
  annotations: V1Annotation[];
  binaryAnnotations: V1BinaryAnnotation[];
}

function newSide(kind: SpanKind): Side {
  return {
    kind,
    shared: false,
    local: null,
    remote: null,
    timestamp: 0,
    duration: 0,
    annotations: [],
    binaryAnnotations: [],
  };
}

function between(start: V1Annotation | undefined, end: V1Annotation | undefined): number {
  return start !== undefined && end !== undefined && end.timestamp > start.timestamp
    ? end.timestamp - start.timestamp
    : 0;
}

/** Converts one v1 span into one or two model spans through the builder. */
export function addV1Span(b: ZipkinSpanBuilder, span: V1Span): void {
  const core = new Map<string, V1Annotation>();
  const other: V1Annotation[] = [];
  for (const a of span.annotations) {
    switch (a.value) {
      case 'cs':
      case 'cr':
      case 'sr':
      case 'ss':
      case 'ms':
      case 'mr':
        if (!core.has(a.value)) core.set(a.value, a);
        break;
      default:
        other.push(a);
    }
  }
  const cs = core.get('cs');
  const cr = core.get('cr');
  const sr = core.get('sr');
  const ss = core.get('ss');
  const sides: Side[] = [];
  let client: Side | undefined;
  let server: Side | undefined;
  if (cs !== undefined || cr !== undefined) {
    client = newSide(Kind.Client);
    client.local = (cs ?? cr)!.endpoint;
    client.timestamp = span.timestamp || (cs?.timestamp ?? 0);
    client.duration = span.duration || between(cs, cr);
    sides.push(client);
  }
  if (sr !== undefined || ss !== undefined) {
    server = newSide(Kind.Server);
    server.local = (sr ?? ss)!.endpoint;
    server.shared = client !== undefined || span.timestamp === 0;
    server.timestamp =
      client === undefined && span.timestamp ? span.timestamp : (sr?.timestamp ?? 0);
    server.duration = client === undefined && span.duration ? span.duration : between(sr, ss);
    sides.push(server);
  }
  if (sides.length === 0) {
    const ms = core.get('ms');
    const mr = core.get('mr');
    const side = newSide(
      ms !== undefined ? Kind.Producer : mr !== undefined ? Kind.Consumer : Kind.Internal,
    );
    const at = ms ?? mr;
    side.local = at?.endpoint ?? null;
    side.timestamp = span.timestamp || (at?.timestamp ?? 0);
    side.duration = span.duration;
    sides.push(side);
  }
  const first = sides[0];
  for (const ba of span.binaryAnnotations) {
    const target = sideOf(sides, ba.endpoint);
    switch (ba.key) {
      case 'sa':
        if (client !== undefined) client.remote = ba.endpoint;
        else first.remote = ba.endpoint;
        continue;
      case 'ca':
        if (server !== undefined) server.remote = ba.endpoint;
        else first.remote = ba.endpoint;
        continue;
      case 'ma':
        first.remote = ba.endpoint;
        continue;
      case 'lc':
        if (target.local === null) target.local = ba.endpoint;
        break;
    }
    if (target.local === null) target.local = ba.endpoint;
    target.binaryAnnotations.push(ba);
  }
  for (const a of other) {
    const target = sideOf(sides, a.endpoint);
    if (target.local === null) target.local = a.endpoint;
    target.annotations.push(a);
  }
  for (const side of sides) emit(b, span, side);
}

/** The side whose local service is the endpoint's, else the first side. */
function sideOf(sides: Side[], endpoint: V1Endpoint | null): Side {
  if (sides.length > 1 && endpoint !== null) {
    for (const side of sides) {
      if (side.local !== null && side.local.serviceName === endpoint.serviceName) return side;
    }
  }
  return sides[0];
}

function emit(b: ZipkinSpanBuilder, span: V1Span, side: Side): void {
  b.begin();
  b.traceId = span.traceId;
  b.spanId = span.id;
  b.parentId = span.parentId;
  b.name = span.name;
  b.kind = side.kind;
  b.shared = side.shared;
  b.timestamp = side.timestamp;
  b.duration = side.duration;
  b.debug = span.debug;
  if (side.local !== null) {
    b.localService = side.local.serviceName;
    b.localIp(side.local.ip);
    b.localPort(side.local.port);
  }
  if (side.remote !== null) {
    b.remoteService(side.remote.serviceName);
    b.remoteIp(side.remote.ip);
    b.remotePort(side.remote.port);
  }
  for (const a of side.annotations) b.annotation(a.timestamp, a.value);
  for (const ba of side.binaryAnnotations) {
    b.attribute({ key: ba.key, type: ba.value.type, value: ba.value.value } as Attribute);
  }
  b.finish();
}
