import type { AnyValue, Attribute, Span } from '../../model/span.ts';
import { SpanKind, StatusCode, UNKNOWN_SERVICE, ValueType } from '../../model/span.ts';
import {
  ZIPKIN_DEBUG_FLAG,
  ZIPKIN_SHARED_ATTRIBUTE,
  ZipkinAttribute,
} from '../../receivers/zipkin/zipkin-conventions.ts';
import type { ZipkinEndpoint, ZipkinSpan } from './zipkin-json.ts';

/*
 * The span model → Zipkin v2 JSON: the reverse of receivers/zipkin's mapping, so a
 * span sent to :9411 reads back as it was sent, and spans from any other protocol
 * read as the OTel spec's Zipkin exporter would have sent them.
 */

const KIND_NAMES: Record<number, ZipkinSpan['kind']> = {
  [SpanKind.Client]: 'CLIENT',
  [SpanKind.Server]: 'SERVER',
  [SpanKind.Producer]: 'PRODUCER',
  [SpanKind.Consumer]: 'CONSUMER',
};

/** Attributes the mapping turns into endpoints or flags, so they are not repeated as tags. */
const NOT_TAGS = new Set<string>([
  ZipkinAttribute.HostIp,
  ZipkinAttribute.HostPort,
  ZipkinAttribute.PeerService,
  ZipkinAttribute.PeerIp,
  ZipkinAttribute.PeerPort,
  ZIPKIN_SHARED_ATTRIBUTE,
]);

/** Remote service name, in order of preference (OTel spec, Zipkin exporter). */
const REMOTE_SERVICE_KEYS = [
  ZipkinAttribute.PeerService,
  'server.address',
  'net.peer.name',
  'network.peer.address',
  'peer.hostname',
];
const REMOTE_IP_KEYS = [ZipkinAttribute.PeerIp, 'network.peer.address', 'net.sock.peer.addr'];
const REMOTE_PORT_KEYS = [ZipkinAttribute.PeerPort, 'network.peer.port', 'server.port'];

/** A 64-bit id stored as 32 digits reads back as the 16 digits Zipkin was sent. */
function zipkinTraceId(traceId: string): string {
  return traceId.startsWith('0000000000000000') ? traceId.slice(16) : traceId;
}

/** The tag text of a value (Zipkin tags are strings; arrays and maps as JSON). */
export function tagText(v: AnyValue): string {
  switch (v.type) {
    case ValueType.String:
      return v.value;
    case ValueType.Bool:
      return v.value ? 'true' : 'false';
    case ValueType.Int:
    case ValueType.Double:
      return String(v.value);
    case ValueType.Bytes:
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case ValueType.Array:
    case ValueType.KvList:
      return JSON.stringify(jsonValue(v));
    default:
      return '';
  }
}

function jsonValue(v: AnyValue): unknown {
  switch (v.type) {
    case ValueType.Array:
      return v.value.map(jsonValue);
    case ValueType.KvList: {
      const o: Record<string, unknown> = {};
      for (const a of v.value) o[a.key] = jsonValue(a);
      return o;
    }
    case ValueType.Int:
      return typeof v.value === 'bigint' ? String(v.value) : v.value;
    case ValueType.Bytes:
      return tagText(v);
    default:
      return v.value;
  }
}

function find(attributes: Attribute[], keys: readonly string[]): Attribute | undefined {
  for (const key of keys) {
    for (const a of attributes) if (a.key === key) return a;
  }
  return undefined;
}

function setIp(endpoint: ZipkinEndpoint, ip: string): void {
  if (ip.includes(':')) endpoint.ipv6 = ip;
  else endpoint.ipv4 = ip;
}

function port(a: Attribute | undefined): number {
  if (a === undefined) return 0;
  const n =
    a.type === ValueType.Int ? Number(a.value) : a.type === ValueType.String ? Number(a.value) : 0;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : 0;
}

/**
 * Encodes one span. `parentOf` gives the parent span id of another span of the same
 * trace (to restore a shared SERVER span's parent); pass `() => ''` without a trace.
 */
export function encodeZipkinSpan(span: Span, parentOf: (spanId: string) => string): ZipkinSpan {
  const attrs = span.attributes;
  let id = span.spanId;
  let parentId = span.parentSpanId;
  let shared = false;
  for (const a of attrs) {
    if (
      a.key === ZIPKIN_SHARED_ATTRIBUTE &&
      a.type === ValueType.Bool &&
      a.value &&
      parentId !== ''
    ) {
      shared = true;
      id = parentId;
      parentId = parentOf(parentId);
    }
  }
  const out: ZipkinSpan = { traceId: zipkinTraceId(span.traceId), id };
  if (parentId !== '') out.parentId = parentId;
  const kind = KIND_NAMES[span.kind];
  if (kind !== undefined) out.kind = kind;
  if (span.name !== '') out.name = span.name;
  out.timestamp = span.startTime;
  if (span.duration > 0) out.duration = span.duration;
  if ((span.flags & ZIPKIN_DEBUG_FLAG) !== 0) out.debug = true;
  if (shared) out.shared = true;

  const local: ZipkinEndpoint = {};
  if (span.resource.serviceName !== UNKNOWN_SERVICE) local.serviceName = span.resource.serviceName;
  const hostIp = find(attrs, [ZipkinAttribute.HostIp]);
  if (hostIp !== undefined) setIp(local, tagText(hostIp));
  const hostPort = port(find(attrs, [ZipkinAttribute.HostPort]));
  if (hostPort > 0) local.port = hostPort;
  out.localEndpoint = local;

  const remote: ZipkinEndpoint = {};
  const remoteService = find(attrs, REMOTE_SERVICE_KEYS);
  if (remoteService !== undefined) remote.serviceName = tagText(remoteService);
  const remoteIp = find(attrs, REMOTE_IP_KEYS);
  if (remoteIp !== undefined && /^[0-9a-fA-F.:]+$/.test(tagText(remoteIp)))
    setIp(remote, tagText(remoteIp));
  const remotePort = port(find(attrs, REMOTE_PORT_KEYS));
  if (remotePort > 0) remote.port = remotePort;
  if (remote.serviceName !== undefined || remote.ipv4 !== undefined || remote.ipv6 !== undefined) {
    out.remoteEndpoint = remote;
  }

  if (span.events.length > 0) {
    out.annotations = span.events.map((e) => ({
      timestamp: e.time,
      value:
        e.attributes.length === 0
          ? e.name
          : `"${e.name}":${JSON.stringify(jsonValue({ type: ValueType.KvList, value: e.attributes }))}`,
    }));
  }

  const tags: Record<string, string> = {};
  let tagCount = 0;
  for (const a of attrs) {
    if (NOT_TAGS.has(a.key)) continue;
    tags[a.key] = tagText(a);
    tagCount++;
  }
  if (span.statusCode === StatusCode.Error) {
    tags[ZipkinAttribute.Error] = span.statusMessage === '' ? 'true' : span.statusMessage;
    tagCount++;
  } else if (span.statusCode === StatusCode.Ok) {
    tags[ZipkinAttribute.StatusCode] = 'OK';
    tagCount++;
  }
  if (span.droppedAttributesCount > 0) {
    tags[ZipkinAttribute.DroppedAttributes] = String(span.droppedAttributesCount);
    tagCount++;
  }
  if (span.droppedEventsCount > 0) {
    tags[ZipkinAttribute.DroppedEvents] = String(span.droppedEventsCount);
    tagCount++;
  }
  if (span.scope.name !== '') {
    tags[ZipkinAttribute.ScopeName] = span.scope.name;
    tagCount++;
  }
  if (span.scope.version !== '') {
    tags[ZipkinAttribute.ScopeVersion] = span.scope.version;
    tagCount++;
  }
  if (tagCount > 0) out.tags = tags;
  return out;
}

/** Encodes a trace's spans, ordered by start time then id (the order Zipkin's UI expects). */
export function encodeZipkinTrace(spans: readonly Span[]): ZipkinSpan[] {
  const parents = new Map<string, string>();
  for (const s of spans) if (!parents.has(s.spanId)) parents.set(s.spanId, s.parentSpanId);
  const parentOf = (spanId: string) => parents.get(spanId) ?? '';
  const sorted = [...spans].sort((a, b) =>
    a.startTime !== b.startTime ? a.startTime - b.startTime : a.spanId < b.spanId ? -1 : 1,
  );
  return sorted.map((s) => encodeZipkinSpan(s, parentOf));
}
