import type { DuckDBConnection } from '@duckdb/node-api';
import { BIGINT, VARCHAR } from '@duckdb/node-api';
import type { DependencyEdgeRow } from '../dependency-writer.ts';
import { HOUR_MICROS, type EdgeCounts } from './dependency-hours.ts';

/**
 * Sums of the dependency edge aggregates per whole hour, kept in memory until a write
 * adds to that hour: a 7-day read then sums 168 small maps instead of every delta row
 * of the week (most writes add to the current hour only). Each hour carries a version
 * so a read that raced with a write does not cache a stale sum. One per tenant: it
 * reads and caches only `tenant`'s edges.
 */
export class DependencyEdgeHours {
  private readonly hours = new Map<number, EdgeCounts>();
  private readonly versions = new Map<number, number>();
  private epoch = 0;

  constructor(private readonly tenant: string) {}

  /** After edge rows committed: forget the hours they add to (edges of other tenants are skipped). */
  invalidate(edges: readonly DependencyEdgeRow[]): void {
    let last = Number.NaN;
    for (const e of edges) {
      if (e.tenant !== this.tenant) continue;
      const h = Math.floor(e.minute / HOUR_MICROS);
      if (h === last) continue;
      last = h;
      this.hours.delete(h);
      this.versions.set(h, ++this.epoch);
    }
  }

  /** After a purge: forget everything. */
  clear(): void {
    this.hours.clear();
    this.epoch++;
    for (const h of this.versions.keys()) this.versions.set(h, this.epoch);
  }

  /**
   * Adds the edge sums of the minutes in [from, to) µs (minute-aligned) into `counts`:
   * whole hours from the cache (fetched once, in one query, when missing), the rest
   * summed in SQL.
   */
  async add(c: DuckDBConnection, from: number, to: number, counts: EdgeCounts): Promise<void> {
    const firstHour = Math.ceil(from / HOUR_MICROS);
    const endHour = Math.floor(to / HOUR_MICROS);
    if (firstHour >= endHour) {
      await sum(c, this.tenant, from, to, counts);
      return;
    }
    if (from < firstHour * HOUR_MICROS) {
      await sum(c, this.tenant, from, firstHour * HOUR_MICROS, counts);
    }
    if (endHour * HOUR_MICROS < to) await sum(c, this.tenant, endHour * HOUR_MICROS, to, counts);
    let lo = Infinity;
    let hi = -Infinity;
    const seen = new Map<number, number>();
    for (let h = firstHour; h < endHour; h++) {
      const cached = this.hours.get(h);
      if (cached !== undefined) {
        for (const [k, n] of cached) counts.set(k, (counts.get(k) ?? 0) + n);
        continue;
      }
      seen.set(h, this.versions.get(h) ?? 0);
      if (h < lo) lo = h;
      if (h > hi) hi = h;
    }
    if (lo > hi) return;
    const r = await c.runAndReadAll(
      `SELECT (minute // ${HOUR_MICROS})::BIGINT, parent, child, sum(calls)::BIGINT
       FROM dependency_edges WHERE minute >= $1 AND minute < $2 AND tenant = $3 GROUP BY ALL`,
      [BigInt(lo * HOUR_MICROS), BigInt((hi + 1) * HOUR_MICROS), this.tenant],
      [BIGINT, BIGINT, VARCHAR],
    );
    const fresh = new Map<number, EdgeCounts>();
    for (const h of seen.keys()) fresh.set(h, new Map());
    for (const [h, parent, child, calls] of r.getRows()) {
      const hour = fresh.get(Number(h as bigint));
      if (hour === undefined) continue; // cached already, counted above
      hour.set((parent as string) + '\u0000' + (child as string), Number(calls as bigint));
    }
    for (const [h, hour] of fresh) {
      for (const [k, n] of hour) counts.set(k, (counts.get(k) ?? 0) + n);
      if ((this.versions.get(h) ?? 0) === seen.get(h)) this.hours.set(h, hour);
    }
  }
}

async function sum(
  c: DuckDBConnection,
  tenant: string,
  from: number,
  to: number,
  counts: EdgeCounts,
): Promise<void> {
  if (!(from < to)) return;
  const r = await c.runAndReadAll(
    `SELECT parent, child, sum(calls)::BIGINT FROM dependency_edges
     WHERE minute >= $1 AND minute < $2 AND tenant = $3 GROUP BY parent, child`,
    [BigInt(from), BigInt(to), tenant],
    [BIGINT, BIGINT, VARCHAR],
  );
  for (const [parent, child, calls] of r.getRows()) {
    const key = (parent as string) + '\u0000' + (child as string);
    counts.set(key, (counts.get(key) ?? 0) + Number(calls as bigint));
  }
}
