/**
 * A log-scale latency histogram with bounded relative error (after DDSketch): bucket
 * `i` holds durations in (GAMMA^(i-1), GAMMA^i] µs, so any quantile read back is within
 * ±2.5% of a duration that was really recorded, whatever the latency range. Bucket 0
 * holds durations ≤ 1 µs. Used by span metrics for the per-minute aggregates the
 * embedded store keeps (Prometheus gets fixed buckets instead, the spanmetrics way).
 */

/** Ratio between consecutive bucket bounds. */
export const GAMMA = 1.05;
const LOG_GAMMA = Math.log(GAMMA);
/** The last bucket: ~4.2 hours; longer durations count in it. */
export const MAX_BUCKET = 500;

/** The bucket a duration (µs) counts in. */
export function latencyBucket(durationUs: number): number {
  if (!(durationUs > 1)) return 0;
  const i = Math.ceil(Math.log(durationUs) / LOG_GAMMA);
  return i > MAX_BUCKET ? MAX_BUCKET : i;
}

/** The upper bound of bucket `i`, µs. */
export function bucketUpperBound(i: number): number {
  return Math.pow(GAMMA, i);
}

/**
 * A sparse histogram: `counts[k]` durations fell in bucket `buckets[k]`. Buckets are
 * ascending and distinct. Both arrays are owned by whoever holds the object.
 */
export interface SparseHistogram {
  buckets: number[];
  counts: number[];
}

/** Adds `from` into the dense accumulator `into` (index = bucket). */
export function addSparse(into: Float64Array, from: SparseHistogram): void {
  for (let k = 0; k < from.buckets.length; k++) into[from.buckets[k]] += from.counts[k];
}

/**
 * The q-quantile (0 < q ≤ 1) of a dense histogram (index = bucket), µs: the geometric
 * middle of the bucket holding the rank, so the error is within the bucket's ±2.5%.
 * Returns NaN when the histogram is empty.
 */
export function quantileOf(dense: Float64Array, q: number): number {
  let total = 0;
  for (let i = 0; i < dense.length; i++) total += dense[i];
  if (total === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < dense.length; i++) {
    seen += dense[i];
    if (seen >= rank) return i === 0 ? 1 : (2 * bucketUpperBound(i)) / (1 + GAMMA);
  }
  return bucketUpperBound(dense.length - 1);
}

/** A dense accumulator for every bucket. */
export function emptyDense(): Float64Array {
  return new Float64Array(MAX_BUCKET + 1);
}
