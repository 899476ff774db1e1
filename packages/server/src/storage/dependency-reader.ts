/** One edge of the service graph: `parent` called `child` `callCount` times. */
export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/**
 * Reads the service dependency graph.
 *
 * Contract: an edge parent → child is counted once per span whose parent span
 * belongs to another service (a span and its parent in the same service are not
 * an edge). Only spans whose start time is in (endTs - lookback, endTs] count.
 * Result sorted by parent then child. Only `tenant`'s spans count (an edge between two
 * tenants' spans does not exist). Rejects with `StorageError` on backend failure.
 */
export interface DependencyReader {
  /** @param endTs µs since epoch @param lookback µs */
  getDependencies(tenant: string, endTs: number, lookback: number): Promise<DependencyLink[]>;
}
