import { DuckDBDataChunk, listValue } from '@duckdb/node-api';
import type { Attribute, Span } from '../../model/span.ts';
import { encodeAttributeList, tagTerm, typeCode, valueToString } from './attribute-codec.ts';
import { hexToBigInt } from './ids.ts';
import type { OriginBatch, OriginRegistry } from './origin-registry.ts';
import { SPAN_COLUMN_TYPES } from './schema.ts';

/** DuckDB's vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/** Span times are µs integers; a fractional value from a lax decoder is truncated. */
export function micros(t: number): bigint {
  return BigInt(Math.trunc(t));
}

function pushTerms(terms: string[], attrs: readonly Attribute[]): void {
  for (let i = 0; i < attrs.length; i++) terms.push(tagTerm(attrs[i].key, valueToString(attrs[i])));
}

/**
 * The `extra` column: what most spans leave at its default, as one JSON array
 * `[traceState, statusMessage, droppedAttributes, droppedEvents, droppedLinks,
 *   events: [[time - start, name, attrs, dropped]...],
 *   links: [[traceId, spanId, traceState, attrs, dropped, flags]...]]`,
 * or null when every field has its default.
 */
export function encodeExtra(span: Span): string | null {
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

/**
 * Fills `spans` data chunks (column order of schema.ts) for `spans[order[from..to)]`.
 * Values are set per column vector and copied to DuckDB once per chunk by `flush`,
 * which is the cheapest way into the appender from JS.
 */
export function encodeSpanChunk(
  spans: readonly Span[],
  order: Uint32Array,
  from: number,
  to: number,
  origins: OriginRegistry,
  batch: OriginBatch,
): DuckDBDataChunk {
  const n = to - from;
  const chunk = DuckDBDataChunk.create(SPAN_COLUMN_TYPES, n);
  const vStart = chunk.getColumnVector(0);
  const vDuration = chunk.getColumnVector(1);
  const vTrace = chunk.getColumnVector(2);
  const vSpan = chunk.getColumnVector(3);
  const vParent = chunk.getColumnVector(4);
  const vService = chunk.getColumnVector(5);
  const vName = chunk.getColumnVector(6);
  const vKind = chunk.getColumnVector(7);
  const vStatus = chunk.getColumnVector(8);
  const vFlags = chunk.getColumnVector(9);
  const vOrigin = chunk.getColumnVector(10);
  const vTypes = chunk.getColumnVector(11);
  const vTags = chunk.getColumnVector(12);
  const vExtra = chunk.getColumnVector(13);
  for (let row = 0; row < n; row++) {
    const s = spans[order[from + row]];
    vStart.setItem(row, micros(s.startTime));
    vDuration.setItem(row, micros(s.duration));
    vTrace.setItem(row, hexToBigInt(s.traceId));
    vSpan.setItem(row, hexToBigInt(s.spanId));
    vParent.setItem(row, hexToBigInt(s.parentSpanId));
    vService.setItem(row, s.resource.serviceName);
    vName.setItem(row, s.name);
    vKind.setItem(row, s.kind);
    vStatus.setItem(row, s.statusCode);
    vFlags.setItem(row, s.flags >>> 0);
    vOrigin.setItem(row, origins.resolve(s.resource, s.scope, batch));
    let types = '';
    const terms: string[] = [];
    for (let i = 0; i < s.attributes.length; i++) {
      const a = s.attributes[i];
      types += typeCode(a);
      terms.push(tagTerm(a.key, valueToString(a)));
    }
    for (let i = 0; i < s.events.length; i++) pushTerms(terms, s.events[i].attributes);
    for (let i = 0; i < s.links.length; i++) pushTerms(terms, s.links[i].attributes);
    vTypes.setItem(row, types);
    vTags.setItem(row, listValue(terms));
    vExtra.setItem(row, encodeExtra(s));
  }
  for (let c = 0; c < SPAN_COLUMN_TYPES.length; c++) chunk.getColumnVector(c).flush();
  return chunk;
}
