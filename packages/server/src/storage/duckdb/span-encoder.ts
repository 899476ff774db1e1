import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk } from '@duckdb/node-api';
import type { Attribute, Span } from '../../model/span.ts';
import { tagTerm, typeCode, valueToString } from './attribute-codec.ts';
import type { OriginBatch, OriginRegistry } from './origin-registry.ts';
import { SPAN_COLUMN_TYPES, TRACE_COLUMN_TYPES } from './schema.ts';
import { fillStringVector } from './string-vector.ts';
import { encodeSpanExtra } from '../span-extra.ts';

/** DuckDB's vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/*
 * Data chunks are filled through the C API directly (@duckdb/node-bindings): fixed-
 * width columns are written into one buffer per column with a DataView and copied
 * into the vector in one call; strings go in bulk, two calls per column (string-vector.ts). This skips the
 * node-api vector wrappers' per-value caches and BigInt conversions, which were half
 * of the write cost (measured with bench/storage-load.ts).
 *
 * Layouts (little-endian): BIGINT int64; UBIGINT uint64; UHUGEINT { uint64 lower;
 * uint64 upper }; UINTEGER uint32; UTINYINT uint8; LIST entry { uint64 offset;
 * uint64 length } into the list's child vector.
 */

const TWO_32 = 4294967296;

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new Error(`invalid hex digit ${JSON.stringify(String.fromCharCode(c))} in id`);
}

/** The value of hex digits [from, to) of `s` (up to 8 of them); positions before 0 count as 0. */
function hexWord(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = Math.max(0, from); i < to; i++) v = v * 16 + hexDigit(s.charCodeAt(i));
  return v;
}

/**
 * Writes a hex id of up to `bytes * 2` digits as a little-endian unsigned integer of
 * `bytes` bytes (shorter ids are left-padded with zeros, '' is 0).
 */
export function writeHexId(view: DataView, offset: number, hex: string, bytes: number): void {
  if (hex.length > bytes * 2) throw new Error(`id "${hex}" is longer than ${bytes * 2} hex digits`);
  const end = hex.length;
  for (let w = 0; w < bytes / 4; w++) {
    view.setUint32(offset + w * 4, hexWord(hex, end - 8 * (w + 1), end - 8 * w), true);
  }
}

/** Writes an integer as a little-endian 64-bit value. */
function writeInt64(view: DataView, offset: number, v: number): void {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    view.setUint32(offset, v % TWO_32, true);
    view.setUint32(offset + 4, Math.floor(v / TWO_32), true);
  } else {
    view.setBigInt64(offset, BigInt(v), true);
  }
}

/** A µs time as a BIGINT parameter (span times are µs integers; fractions are truncated). */
export function micros(t: number): bigint {
  return BigInt(Math.trunc(t));
}

/** Span times are µs integers; a fractional value from a lax decoder is truncated. */
function writeMicros(view: DataView, offset: number, t: number): void {
  writeInt64(view, offset, Math.trunc(t));
}

/** A fixed-width column being filled for one chunk. */
class FixedColumn {
  private readonly buffer: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(rows: number, width: number) {
    this.buffer = new ArrayBuffer(rows * width);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
  }
  copyTo(chunk: DuckDBDataChunk, column: number): void {
    duckdb.copy_data_to_vector(vectorOf(chunk, column), 0, this.buffer, 0, this.buffer.byteLength);
  }
}

function vectorOf(chunk: DuckDBDataChunk, column: number): duckdb.Vector {
  return duckdb.data_chunk_get_vector(chunk.chunk, column);
}

function pushTerms(terms: string[], attrs: readonly Attribute[]): void {
  for (let i = 0; i < attrs.length; i++) terms.push(tagTerm(attrs[i].key, valueToString(attrs[i])));
}

/** A `spans` data chunk (column order of schema.ts) for `spans[order[from..to)]`. */
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
  const start = new FixedColumn(n, 8);
  const duration = new FixedColumn(n, 8);
  const traceId = new FixedColumn(n, 16);
  const spanId = new FixedColumn(n, 8);
  const parentId = new FixedColumn(n, 8);
  const kind = new FixedColumn(n, 1);
  const status = new FixedColumn(n, 1);
  const flags = new FixedColumn(n, 4);
  const origin = new FixedColumn(n, 4);
  const tagEntries = new FixedColumn(n, 16);
  const services: string[] = new Array(n);
  const names: string[] = new Array(n);
  const tenants: string[] = new Array(n);
  const types: string[] = new Array(n);
  const extras: (string | null)[] = new Array(n);
  const terms: string[] = [];
  for (let row = 0; row < n; row++) {
    const s = spans[order[from + row]];
    writeMicros(start.view, row * 8, s.startTime);
    writeMicros(duration.view, row * 8, s.duration);
    writeHexId(traceId.view, row * 16, s.traceId, 16);
    writeHexId(spanId.view, row * 8, s.spanId, 8);
    writeHexId(parentId.view, row * 8, s.parentSpanId, 8);
    kind.bytes[row] = s.kind;
    status.bytes[row] = s.statusCode;
    flags.view.setUint32(row * 4, s.flags >>> 0, true);
    origin.view.setUint32(row * 4, origins.resolve(s.resource, s.scope, batch), true);
    services[row] = s.resource.serviceName;
    names[row] = s.name;
    tenants[row] = s.resource.tenant;
    const first = terms.length;
    let codes = '';
    for (let i = 0; i < s.attributes.length; i++) {
      const a = s.attributes[i];
      codes += typeCode(a);
      terms.push(tagTerm(a.key, valueToString(a)));
    }
    for (let i = 0; i < s.events.length; i++) pushTerms(terms, s.events[i].attributes);
    for (let i = 0; i < s.links.length; i++) pushTerms(terms, s.links[i].attributes);
    writeInt64(tagEntries.view, row * 16, first);
    writeInt64(tagEntries.view, row * 16 + 8, terms.length - first);
    types[row] = codes;
    extras[row] = encodeSpanExtra(s);
  }
  fillStringVector(vectorOf(chunk, 5), services);
  fillStringVector(vectorOf(chunk, 6), names);
  fillStringVector(vectorOf(chunk, 11), types);
  fillStringVector(vectorOf(chunk, 13), extras);
  fillStringVector(vectorOf(chunk, 14), tenants);
  start.copyTo(chunk, 0);
  duration.copyTo(chunk, 1);
  traceId.copyTo(chunk, 2);
  spanId.copyTo(chunk, 3);
  parentId.copyTo(chunk, 4);
  kind.copyTo(chunk, 7);
  status.copyTo(chunk, 8);
  flags.copyTo(chunk, 9);
  origin.copyTo(chunk, 10);
  const vTags = vectorOf(chunk, 12);
  duckdb.list_vector_reserve(vTags, terms.length);
  duckdb.list_vector_set_size(vTags, terms.length);
  fillStringVector(duckdb.list_vector_get_child(vTags), terms);
  tagEntries.copyTo(chunk, 12);
  return chunk;
}

/** The spans of one trace of one tenant in a write batch: start time bounds and indexes into the batch. */
export interface TraceInBatch {
  traceId: string;
  tenant: string;
  min: number;
  max: number;
  spans: number[];
}

/** A `traces` data chunk: (trace id, min start, max start, tenant) per trace of a batch. */
export function encodeTraceChunk(traces: readonly TraceInBatch[]): DuckDBDataChunk {
  const n = traces.length;
  const chunk = DuckDBDataChunk.create(TRACE_COLUMN_TYPES, n);
  const id = new FixedColumn(n, 16);
  const min = new FixedColumn(n, 8);
  const max = new FixedColumn(n, 8);
  const tenants: string[] = new Array(n);
  for (let row = 0; row < n; row++) {
    const t = traces[row];
    writeHexId(id.view, row * 16, t.traceId, 16);
    tenants[row] = t.tenant;
    writeMicros(min.view, row * 8, t.min);
    writeMicros(max.view, row * 8, t.max);
  }
  fillStringVector(vectorOf(chunk, 3), tenants);
  id.copyTo(chunk, 0);
  min.copyTo(chunk, 1);
  max.copyTo(chunk, 2);
  return chunk;
}
