import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk } from '@duckdb/node-api';
import type { SpanMetricsRow } from '../span-metrics-writer.ts';
import { SPAN_METRICS_COLUMN_TYPES } from './schema.ts';

/*
 * `span_metrics` data chunks filled through the C API, as span-encoder.ts fills `spans`:
 * node-api's appendList converts every list item to a value object, which made a
 * write cost ~65 µs per row (mostly garbage collection). Layouts (little-endian):
 * BIGINT int64; UBIGINT uint64; UTINYINT uint8; DOUBLE float64; LIST entry
 * { uint64 offset; uint64 length } into the child vector (USMALLINT uint16, UINTEGER uint32).
 */

const TWO_32 = 4294967296;

function writeUint64(view: DataView, offset: number, v: number): void {
  view.setUint32(offset, v % TWO_32, true);
  view.setUint32(offset + 4, Math.floor(v / TWO_32), true);
}

function vectorOf(chunk: DuckDBDataChunk, column: number): duckdb.Vector {
  return duckdb.data_chunk_get_vector(chunk.chunk, column);
}

function copyTo(vector: duckdb.Vector, bytes: ArrayBuffer, length = bytes.byteLength): void {
  duckdb.copy_data_to_vector(vector, 0, bytes, 0, length);
}

/** A data chunk (column order of schema.ts) for `rows[from..to)`, at most 2048 rows. */
export function encodeSpanMetricsChunk(
  rows: readonly SpanMetricsRow[],
  from: number,
  to: number,
): DuckDBDataChunk {
  const n = to - from;
  const chunk = DuckDBDataChunk.create(SPAN_METRICS_COLUMN_TYPES, n);
  const minute = new DataView(new ArrayBuffer(n * 8));
  const kind = new Uint8Array(n);
  const status = new Uint8Array(n);
  const calls = new DataView(new ArrayBuffer(n * 8));
  const durationSum = new Float64Array(n);
  const entries = new DataView(new ArrayBuffer(n * 16));
  let items = 0;
  for (let i = from; i < to; i++) items += rows[i].latency.buckets.length;
  const buckets = new Uint16Array(items);
  const counts = new Uint32Array(items);
  const vService = vectorOf(chunk, 1);
  const vOperation = vectorOf(chunk, 2);
  const vTenant = vectorOf(chunk, 9);
  let item = 0;
  for (let row = 0; row < n; row++) {
    const r = rows[from + row];
    minute.setBigInt64(row * 8, BigInt(Math.trunc(r.minute)), true);
    duckdb.vector_assign_string_element(vService, row, r.service);
    duckdb.vector_assign_string_element(vOperation, row, r.operation);
    duckdb.vector_assign_string_element(vTenant, row, r.tenant);
    kind[row] = r.kind;
    status[row] = r.statusCode;
    writeUint64(calls, row * 8, r.calls);
    durationSum[row] = r.durationSum;
    const h = r.latency;
    writeUint64(entries, row * 16, item);
    writeUint64(entries, row * 16 + 8, h.buckets.length);
    for (let k = 0; k < h.buckets.length; k++) {
      buckets[item] = h.buckets[k];
      counts[item++] = h.counts[k];
    }
  }
  copyTo(vectorOf(chunk, 0), minute.buffer as ArrayBuffer);
  copyTo(vectorOf(chunk, 3), kind.buffer);
  copyTo(vectorOf(chunk, 4), status.buffer);
  copyTo(vectorOf(chunk, 5), calls.buffer as ArrayBuffer);
  copyTo(vectorOf(chunk, 6), durationSum.buffer);
  for (const [column, child] of [
    [7, buckets],
    [8, counts],
  ] as const) {
    const v = vectorOf(chunk, column);
    duckdb.list_vector_reserve(v, items);
    duckdb.list_vector_set_size(v, items);
    if (items > 0) copyTo(duckdb.list_vector_get_child(v), child.buffer as ArrayBuffer);
    copyTo(v, entries.buffer as ArrayBuffer);
  }
  return chunk;
}
