import { ValueType, type Span, type SpanKind, type StatusCode } from '../model/span.ts';

/**
 * What trace-level processors know of a span once its trace is assembled: its place
 * in the trace and the few attributes that say whom it calls. The trace buffer keeps
 * these compactly while a trace assembles and hands them out as plain objects on
 * release; `digestSpan` builds the same from a stored span (query time).
 */
export interface SpanDigest {
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  service: string;
  /**
   * A 32-bit hash of the span name (`nameHash`), enough to prefer same-named matches;
   * the trace buffer computes it only for CLIENT/PRODUCER and root spans (0 otherwise).
   */
  nameHash: number;
  kind: SpanKind;
  /** µs since epoch. */
  startTime: number;
  /** µs. */
  duration: number;
  /** W3C trace flags (low byte of the span's flags). */
  flags: number;
  statusCode: StatusCode;
  /** `peer.service`, or ''. */
  peerService: string;
  /** `server.address`, else `net.peer.name`, or ''. */
  serverAddress: string;
  /** `messaging.destination.name`, else `messaging.destination`, or ''. */
  destination: string;
  /** Span ids of the span's links, or undefined when it has none. */
  linkedSpanIds: string[] | undefined;
}

/** FNV-1a over the UTF-16 code units: stable across processes, no allocation. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The call-target attributes of a span, read in one pass over its attributes. */
export interface CallTarget {
  peerService: string;
  serverAddress: string;
  destination: string;
}

/**
 * Reads `peer.service`, `server.address` / `net.peer.name` and
 * `messaging.destination.name` / `messaging.destination` into `out` (reused by the
 * caller). Only string values count.
 */
export function readCallTarget(span: Span, out: CallTarget): CallTarget {
  out.peerService = '';
  out.serverAddress = '';
  out.destination = '';
  let netPeerName = '';
  let legacyDestination = '';
  const attributes = span.attributes;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i];
    if (a.type !== ValueType.String) continue;
    // Decoded keys are not interned: compare only keys of a matching length.
    const key = a.key;
    switch (key.length) {
      case 12:
        if (key === 'peer.service') out.peerService = a.value;
        break;
      case 13:
        if (key === 'net.peer.name') netPeerName = a.value;
        break;
      case 14:
        if (key === 'server.address') out.serverAddress = a.value;
        break;
      case 21:
        if (key === 'messaging.destination') legacyDestination = a.value;
        break;
      case 26:
        if (key === 'messaging.destination.name') out.destination = a.value;
        break;
    }
  }
  if (out.serverAddress === '') out.serverAddress = netPeerName;
  if (out.destination === '') out.destination = legacyDestination;
  return out;
}

/** The digest of a stored span (query time; allocation is fine there). */
export function digestSpan(span: Span): SpanDigest {
  const target = readCallTarget(span, { peerService: '', serverAddress: '', destination: '' });
  return {
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    service: span.resource.serviceName,
    nameHash: nameHash(span.name),
    kind: span.kind,
    startTime: span.startTime,
    duration: span.duration,
    flags: span.flags & 0xff,
    statusCode: span.statusCode,
    peerService: target.peerService,
    serverAddress: target.serverAddress,
    destination: target.destination,
    linkedSpanIds: span.links.length === 0 ? undefined : span.links.map((l) => l.spanId),
  };
}
