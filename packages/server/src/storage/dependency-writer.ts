/**
 * Dependency edges as the dependencies processor hands them to storage: per minute
 * of the child span's start time, per parent service → child service pair, how many
 * child spans had a parent span in another service (`calls`) and how many of those
 * child spans had status ERROR (`errors`). Rows are **deltas**: rows with the same
 * key add up.
 *
 * `minutes` lists the minutes the processor vouches for: every span starting in one
 * that the store holds was counted (or will be, as a later delta). A reader uses the
 * aggregates only for minutes listed here; other minutes (spans written before the
 * processor existed, or while it was off) are computed from the spans themselves.
 */
export interface DependencyEdgeRow {
  /** The tenant of the spans aggregated (`Resource.tenant`). */
  tenant: string;
  /** µs since epoch, floored to the minute. */
  minute: number;
  parent: string;
  child: string;
  calls: number;
  errors: number;
}

/** One flush of dependency deltas. */
export interface DependencyDelta {
  edges: DependencyEdgeRow[];
  /** Minutes (µs, floored) the processor vouches for; a minute may repeat across flushes. */
  minutes: number[];
}

/**
 * Keeps dependency edge aggregates.
 *
 * Contract: `writeDependencies` resolves once the rows (edges and minutes, all or
 * none) are durable and readers see them; each call adds (rows are deltas, not
 * idempotent: a retried delta counts twice, so a caller retries only a delta whose
 * write rejected). Rows older than the store's retention are purged with the spans.
 * It does not keep references to the rows. Rejects with `StorageError` on backend failure.
 */
export interface DependencyWriter {
  writeDependencies(delta: DependencyDelta): Promise<void>;
}
