/**
 * What adaptive sampling (issue #9, `sampling/adaptive/`) keeps in the store: the
 * probabilities it computed, the root-span throughput each process observed, and a
 * lease saying which process computes.
 *
 * Several processes may share one store (a scale-out backend): every process writes
 * what it observed (`addSamplingThroughput`), one of them holds the lease and computes
 * (`takeSamplingThroughput`, then `writeSamplingProbabilities`), and the others only
 * read the probabilities. The embedded DuckDB file is opened by one process, so there
 * the lease is uncontended, but the same code runs.
 *
 * Times are milliseconds since the Unix epoch, from the caller's clock: lease expiry
 * is compared with the `now` the caller passes, so processes sharing a store need
 * clocks that agree to well within the lease time.
 */

/** One service operation's adaptive sampling state, as the lease holder computed it. */
export interface OperationProbabilityRow {
  /** The tenant whose service this is (strategies are served per tenant). */
  tenant: string;
  service: string;
  /** The root span name. */
  operation: string;
  /** The probability served for the operation, in (0, 1]. */
  probability: number;
  /** Smoothed estimate of the operation's root traces per second, sampled or not. */
  tracesPerSecond: number;
  /** Smoothed root spans per second that reached Skein (sampled traces). */
  sampledPerSecond: number;
  /** When the holder last computed the row (ms). */
  updatedAt: number;
}

/** Root spans of one service operation that one process saw during one interval. */
export interface ThroughputRow {
  tenant: string;
  service: string;
  operation: string;
  /** Root spans seen (sampled traces that reached this process). */
  roots: number;
  /** Of those, the roots that reported the probability they were sampled with. */
  probabilistic: number;
  /** Sum of 1/probability over the `probabilistic` roots: the traces they stand for. */
  estimatedTraces: number;
  /** Roots sampled by a sampler that ignores served probabilities (rate limiting, const). */
  unadaptable: number;
}

/** Who holds a lease, and until when (ms). */
export interface SamplingLease {
  holder: string;
  expiresAt: number;
}

/**
 * Adaptive sampling's storage. Every method resolves once its change is committed;
 * failures reject with a `StorageError`.
 */
export interface SamplingStore {
  /**
   * Takes the lease `name` for `holder` until `now + ttlMs` when it is free, expired
   * (`expiresAt <= now`) or already `holder`'s (a renewal), in one atomic step: two
   * callers never both get it. Resolves to the lease as it stands afterwards, so the
   * caller holds it iff `holder` is its own; an attempt that lost a concurrent race
   * resolves to the winner's lease (or to a lease that has expired, meaning "try
   * again"), it does not reject.
   */
  tryAcquireSamplingLease(
    name: string,
    holder: string,
    now: number,
    ttlMs: number,
  ): Promise<SamplingLease>;

  /** Gives up the lease if `holder` holds it (a clean stop); otherwise does nothing. */
  releaseSamplingLease(name: string, holder: string): Promise<void>;

  /**
   * Replaces every stored probability row with `rows`, in one transaction, if `holder`
   * holds the lease `lease` at `now`; resolves to false, writing nothing, when it does
   * not (a holder whose lease lapsed must not overwrite its successor's rows).
   */
  writeSamplingProbabilities(
    lease: string,
    holder: string,
    now: number,
    rows: readonly OperationProbabilityRow[],
  ): Promise<boolean>;

  /** Every stored probability row, in no particular order; [] on a store without any. */
  readSamplingProbabilities(): Promise<OperationProbabilityRow[]>;

  /** Appends one process's observations for the interval that ended at `at`. */
  addSamplingThroughput(holder: string, at: number, rows: readonly ThroughputRow[]): Promise<void>;

  /**
   * Removes and returns the throughput rows written at or after `since` (older rows are
   * removed and not returned), in one transaction, so each row is taken once.
   */
  takeSamplingThroughput(since: number): Promise<ThroughputRow[]>;
}

/** Whether a storage backend also keeps adaptive sampling's state (an optional capability). */
export function isSamplingStore(storage: object): storage is SamplingStore {
  const s = storage as Partial<SamplingStore>;
  return (
    typeof s.tryAcquireSamplingLease === 'function' &&
    typeof s.releaseSamplingLease === 'function' &&
    typeof s.writeSamplingProbabilities === 'function' &&
    typeof s.readSamplingProbabilities === 'function' &&
    typeof s.addSamplingThroughput === 'function' &&
    typeof s.takeSamplingThroughput === 'function'
  );
}
