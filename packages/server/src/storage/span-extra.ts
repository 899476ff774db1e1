import type { Span, SpanEvent, SpanLink } from '../model/span.ts';
import { decodeAttributeList, encodeAttributeList } from './duckdb/attribute-codec.ts';

/*
 * The `extra` column both stores keep (DuckDB's `extra`, ClickHouse's `extra`): one
 * JSON text for what most spans leave at its default. One encoder and one decoder, so
 * the two backends cannot drift apart.
 */

/** The `extra` JSON array, as parsed. */
export type ExtraJson = [
  string,
  string,
  number,
  number,
  number,
  [number, string, string[], number][],
  [string, string, string, string[], number, number][],
];

/**
 * The `extra` column: what most spans leave at its default, as one JSON array
 * `[traceState, statusMessage, droppedAttributes, droppedEvents, droppedLinks,
 *   events: [[time - start, name, attrs, dropped]...],
 *   links: [[traceId, spanId, traceState, attrs, dropped, flags]...]]`,
 * or null when every field has its default (most spans).
 */
export function encodeSpanExtra(span: Span): string | null {
  if (
    span.events.length === 0 &&
    span.links.length === 0 &&
    span.traceState === '' &&
    span.statusMessage === '' &&
    span.droppedAttributesCount === 0 &&
    span.droppedEventsCount === 0 &&
    span.droppedLinksCount === 0
  ) {
    return null;
  }
  const events: unknown[] = new Array(span.events.length);
  for (let i = 0; i < span.events.length; i++) {
    const e = span.events[i];
    events[i] = [
      e.time - span.startTime,
      e.name,
      encodeAttributeList(e.attributes),
      e.droppedAttributesCount,
    ];
  }
  const links: unknown[] = new Array(span.links.length);
  for (let i = 0; i < span.links.length; i++) {
    const l = span.links[i];
    links[i] = [
      l.traceId,
      l.spanId,
      l.traceState,
      encodeAttributeList(l.attributes),
      l.droppedAttributesCount,
      l.flags,
    ];
  }
  return JSON.stringify([
    span.traceState,
    span.statusMessage,
    span.droppedAttributesCount,
    span.droppedEventsCount,
    span.droppedLinksCount,
    events,
    links,
  ]);
}

/** Sets the fields `encodeSpanExtra` wrote onto `span` (parsed from its JSON text). */
export function applySpanExtra(span: Span, x: ExtraJson): void {
  span.traceState = x[0];
  span.statusMessage = x[1];
  span.droppedAttributesCount = x[2];
  span.droppedEventsCount = x[3];
  span.droppedLinksCount = x[4];
  const events: SpanEvent[] = new Array(x[5].length);
  for (let i = 0; i < events.length; i++) {
    const e = x[5][i];
    events[i] = {
      time: span.startTime + e[0],
      name: e[1],
      attributes: decodeAttributeList(e[2]),
      droppedAttributesCount: e[3],
    };
  }
  span.events = events;
  const links: SpanLink[] = new Array(x[6].length);
  for (let i = 0; i < links.length; i++) {
    const l = x[6][i];
    links[i] = {
      traceId: l[0],
      spanId: l[1],
      traceState: l[2],
      attributes: decodeAttributeList(l[3]),
      droppedAttributesCount: l[4],
      flags: l[5],
    };
  }
  span.links = links;
}
