import type { DependencyLink } from '../dependency-reader.ts';

export const HOUR_MICROS = 3_600_000_000;

/** Edge counts keyed `parent NUL child`. */
export type EdgeCounts = Map<string, number>;

/** One row of an edge query: the child's hour (when grouped by hour), parent, child, calls. */
export interface EdgeRow {
  hour: number;
  parent: string;
  child: string;
  calls: number;
}

/**
 * Counts edges for children starting in [from, to) µs; grouped by the child's hour
 * when `byHour`, else with hour 0.
 */
export type EdgeQuery = (from: number, to: number, byHour: boolean) => Promise<EdgeRow[]>;

/**
 * Dependency edges per whole hour of child start time, computed on first use and
 * kept until a write or purge could change them.
 *
 * Why: the edges come from a self-join of spans (child → parent by trace and span
 * id), which over 24 h of a busy store costs seconds; an hour that no write touches
 * any more (the usual case for every hour but the current one) never needs that
 * join again. A parent is joined only when it starts within an hour of its child,
 * so a span starting at t can change the hours of t - 1 h, t and t + 1 h; a write
 * drops those hours. Each hour carries a version so a join that raced with a write
 * is not cached.
 */
export class DependencyHours {
  private readonly hours = new Map<number, EdgeCounts>();
  private readonly versions = new Map<number, number>();
  private epoch = 0;

  /** After a batch commits: forget the hours its spans (start times in µs) may change. */
  invalidate(startTimes: Iterable<number>): void {
    const touched = new Set<number>();
    for (const t of startTimes) touched.add(Math.floor(t / HOUR_MICROS));
    for (const h of touched) {
      for (let x = h - 1; x <= h + 1; x++) {
        this.hours.delete(x);
        this.versions.set(x, ++this.epoch);
      }
    }
  }

  /** After a purge: forget everything. */
  clear(): void {
    this.hours.clear();
    this.epoch++;
    for (const h of this.versions.keys()) this.versions.set(h, this.epoch);
  }

  /** Edges of children starting in [from, to) µs, sorted by parent then child. */
  async edges(from: number, to: number, query: EdgeQuery): Promise<DependencyLink[]> {
    const total: EdgeCounts = new Map();
    const firstFull = Math.ceil(from / HOUR_MICROS);
    const lastFull = Math.floor(to / HOUR_MICROS) - 1;
    if (firstFull > lastFull) {
      addRows(total, await query(from, to, false));
      return toLinks(total);
    }
    if (from < firstFull * HOUR_MICROS)
      addRows(total, await query(from, firstFull * HOUR_MICROS, false));
    if ((lastFull + 1) * HOUR_MICROS < to)
      addRows(total, await query((lastFull + 1) * HOUR_MICROS, to, false));
    let minMissing = Infinity;
    let maxMissing = -Infinity;
    // Taken before any await: a write may drop cached hours while the join runs.
    const cached = new Map<number, EdgeCounts>();
    for (let h = firstFull; h <= lastFull; h++) {
      const counts = this.hours.get(h);
      if (counts !== undefined) {
        cached.set(h, counts);
        continue;
      }
      if (h < minMissing) minMissing = h;
      if (h > maxMissing) maxMissing = h;
    }
    const fresh = new Map<number, EdgeCounts>();
    if (minMissing <= maxMissing) {
      const seen = new Map<number, number>();
      for (let h = minMissing; h <= maxMissing; h++) {
        seen.set(h, this.versions.get(h) ?? 0);
        fresh.set(h, new Map());
      }
      for (const row of await query(
        minMissing * HOUR_MICROS,
        (maxMissing + 1) * HOUR_MICROS,
        true,
      )) {
        addRow(fresh.get(row.hour)!, row);
      }
      for (const [h, counts] of fresh) {
        if ((this.versions.get(h) ?? 0) === seen.get(h)) this.hours.set(h, counts);
      }
    }
    for (let h = firstFull; h <= lastFull; h++) {
      const counts = fresh.get(h) ?? cached.get(h)!;
      for (const [key, calls] of counts) total.set(key, (total.get(key) ?? 0) + calls);
    }
    return toLinks(total);
  }
}

function addRow(counts: EdgeCounts, row: EdgeRow): void {
  const key = row.parent + '\u0000' + row.child;
  counts.set(key, (counts.get(key) ?? 0) + row.calls);
}

function addRows(counts: EdgeCounts, rows: EdgeRow[]): void {
  for (const row of rows) addRow(counts, row);
}

/** Edge counts (`parent NUL child` → calls) as links sorted by parent then child. */
export function toLinks(counts: EdgeCounts): DependencyLink[] {
  const links: DependencyLink[] = [];
  for (const [key, callCount] of counts) {
    const sep = key.indexOf('\u0000');
    links.push({ parent: key.slice(0, sep), child: key.slice(sep + 1), callCount });
  }
  return links.sort((a, b) =>
    a.parent < b.parent
      ? -1
      : a.parent > b.parent
        ? 1
        : a.child < b.child
          ? -1
          : a.child > b.child
            ? 1
            : 0,
  );
}
