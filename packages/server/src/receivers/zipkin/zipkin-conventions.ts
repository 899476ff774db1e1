/**
 * The names both directions of the Zipkin mapping agree on: the receivers write
 * them (Zipkin → span model) and the Zipkin read API reads them back (span model →
 * Zipkin v2 JSON). docs/protocols.md `## Zipkin` describes the mapping.
 */
export const ZipkinAttribute = {
  StatusCode: 'otel.status_code',
  StatusDescription: 'otel.status_description',
  Error: 'error',
  ScopeName: 'otel.scope.name',
  ScopeVersion: 'otel.scope.version',
  LibraryName: 'otel.library.name',
  LibraryVersion: 'otel.library.version',
  DroppedAttributes: 'otel.dropped_attributes_count',
  DroppedEvents: 'otel.dropped_events_count',
  /** Local endpoint address and port (older OTel semantic conventions, as the Collector maps them). */
  HostIp: 'net.host.ip',
  HostPort: 'net.host.port',
  /** Remote endpoint. */
  PeerService: 'peer.service',
  PeerIp: 'net.peer.ip',
  PeerPort: 'net.peer.port',
} as const;

/**
 * Marks a SERVER span that Zipkin reported as `shared` (it reused its client's span
 * id). Skein gives such a span its own id, so ids stay unique within a trace, and
 * keeps this flag so the Zipkin read API can give the original id back.
 */
export const ZIPKIN_SHARED_ATTRIBUTE = 'zipkin.shared';

/** Every span Zipkin reports was sampled. */
export const ZIPKIN_SAMPLED_FLAG = 0x1;
/** Zipkin's `debug`, stored as Jaeger stores its debug flag. */
export const ZIPKIN_DEBUG_FLAG = 0x2;

/**
 * The id a shared SERVER span gets: its client's id with the top bit flipped.
 * Deterministic (both halves of a retried report get the same id) and its own
 * inverse, so the read API restores the id Zipkin sent.
 */
export function sharedServerSpanId(spanId: string): string {
  const top = parseInt(spanId[0], 16) ^ 0x8;
  return top.toString(16) + spanId.slice(1);
}
