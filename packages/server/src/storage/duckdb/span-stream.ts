import type { DuckDBMaterializedResult, DuckDBResult } from '@duckdb/node-api';
import type { Span } from '../../model/span.ts';
import type { ReadBudget } from '../read-budget.ts';
import type { SpanDecoder } from './span-decoder.ts';

/**
 * Bytes a span adds to a Jaeger JSON answer besides its own attributes: ids, times,
 * references, the tags the encoder adds (span kind, scope, status), its share of the
 * process entries, keys and punctuation. Calibrated on encodeJaegerTrace's output:
 * the estimate is 0.95× the real size on bench/storage-workload.ts traces and 1.04×
 * on spans with two string attributes.
 */
const SPAN_OVERHEAD_BYTES = 500;
/** Per tag: `{"key":"","type":"string","value":""},` and a little more for typed values. */
const TAG_OVERHEAD_BYTES = 48;

/**
 * About the bytes `span` adds to a Jaeger JSON answer (within ~10% on the shapes
 * above), cheap enough per span; the legacy API checks the answer's exact size after
 * encoding.
 */
export function estimateAnswerBytes(span: Span): number {
  let bytes = SPAN_OVERHEAD_BYTES + span.name.length + span.statusMessage.length;
  const attrs = span.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i];
    bytes += TAG_OVERHEAD_BYTES + a.key.length;
    const v = a.value;
    bytes += typeof v === 'string' ? v.length : 16;
  }
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    bytes += 80 + events[i].name.length + events[i].attributes.length * 60;
  }
  bytes += span.links.length * 120;
  return bytes;
}

/**
 * Decodes a streamed result chunk by chunk into `out`, charging each chunk's spans to
 * `budget`. Returns false as soon as the budget is passed (the rest of the result is
 * not fetched; DuckDB drops it when the connection runs its next statement), true
 * when every row was decoded within it. DuckDB holds at most a chunk or two of the
 * result at a time, instead of all of it.
 */
export async function decodeStream(
  result: DuckDBResult,
  decoder: SpanDecoder,
  out: Span[],
  budget: ReadBudget | undefined,
): Promise<boolean> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return true;
    const from = out.length;
    decoder.decodeChunk(chunk, out);
    if (budget === undefined) continue;
    let bytes = 0;
    for (let i = from; i < out.length; i++) bytes += estimateAnswerBytes(out[i]);
    if (!budget.charge(bytes)) return false;
  }
}

/**
 * Decodes a materialized result (already bounded by the caller's row cap) into `out`,
 * charging `budget` as {@link decodeStream} does; false once it is passed.
 */
export function decodeMaterialized(
  result: DuckDBMaterializedResult,
  decoder: SpanDecoder,
  out: Span[],
  budget: ReadBudget | undefined,
): boolean {
  for (let i = 0; i < result.chunkCount; i++) {
    const from = out.length;
    decoder.decodeChunk(result.getChunk(i), out);
    if (budget === undefined) continue;
    let bytes = 0;
    for (let j = from; j < out.length; j++) bytes += estimateAnswerBytes(out[j]);
    if (!budget.charge(bytes)) return false;
  }
  return true;
}

/** Start time, then span id: the order a trace's spans are returned in. */
export function bySpanStart(a: Span, b: Span): number {
  return a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
}
