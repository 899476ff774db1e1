import { DEFAULT_TENANT } from '../../../model/span.ts';
import type { DependencyDelta, DependencyEdgeRow } from '../../../storage/dependency-writer.ts';
import type { ServiceEdgeSink } from './service-edges.ts';

const MINUTE_US = 60_000_000;

/** The minute (µs, floored) a time in µs falls in. */
export function minuteOf(timeUs: number): number {
  return Math.floor(timeUs / MINUTE_US) * MINUTE_US;
}

/**
 * Edge counts and counted minutes accumulated since the last flush, keyed like the
 * store's rows (tenant first: two tenants' edges never merge). `take` hands them out
 * and starts over; `restore` puts back a delta whose write failed (merged with what
 * came since). Edges given to the {@link ServiceEdgeSink} side count under `tenant`
 * (set it to the trace's tenant before counting the trace's edges).
 */
export class DependencyAggregates implements ServiceEdgeSink {
  #edges = new Map<string, DependencyEdgeRow>();
  #minutes = new Set<number>();
  /** The tenant `edge` counts under. */
  tenant = DEFAULT_TENANT;

  /** Rows waiting (edges + minutes). */
  get size(): number {
    return this.#edges.size + this.#minutes.size;
  }

  edge(parent: string, child: string, childStart: number, error: boolean): void {
    this.add(this.tenant, minuteOf(childStart), parent, child, 1, error ? 1 : 0);
  }

  add(
    tenant: string,
    minute: number,
    parent: string,
    child: string,
    calls: number,
    errors: number,
  ): void {
    const key = `${tenant}\0${minute}\0${parent}\0${child}`;
    const row = this.#edges.get(key);
    if (row === undefined) this.#edges.set(key, { tenant, minute, parent, child, calls, errors });
    else {
      row.calls += calls;
      row.errors += errors;
    }
  }

  /** Marks a minute whose spans have all been counted (the store may read it from the aggregates). */
  counted(minute: number): void {
    this.#minutes.add(minute);
  }

  take(): DependencyDelta {
    const delta: DependencyDelta = {
      edges: [...this.#edges.values()],
      minutes: [...this.#minutes].sort((a, b) => a - b),
    };
    this.#edges = new Map();
    this.#minutes = new Set();
    return delta;
  }

  restore(delta: DependencyDelta): void {
    for (const r of delta.edges) this.add(r.tenant, r.minute, r.parent, r.child, r.calls, r.errors);
    for (const m of delta.minutes) this.#minutes.add(m);
  }
}
