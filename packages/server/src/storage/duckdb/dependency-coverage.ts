/** One minute, µs. */
export const DEPENDENCY_MINUTE = 60_000_000;

/** How a dependency read over [from, to) µs splits between edge aggregates and the span join. */
export interface DependencyReadPlan {
  /** Whole minutes [from, to) µs summed from the edge aggregates; undefined when none. */
  aggregated: { from: number; to: number }[];
  /** Ranges [from, to) µs whose edges come from joining the spans. */
  joined: { from: number; to: number }[];
}

/**
 * Splits a read: a whole minute inside the window that the dependencies processor
 * counted (`covered`, minute starts in µs) is read from the aggregates; everything
 * else (the partial minutes at the window's ends, minutes written before the
 * processor existed or while it was off) from the spans. Adjacent ranges of one kind
 * are merged. Pure.
 */
export function planDependencyRead(
  from: number,
  to: number,
  covered: ReadonlySet<number>,
): DependencyReadPlan {
  const plan: DependencyReadPlan = { aggregated: [], joined: [] };
  if (!(from < to)) return plan;
  const add = (list: { from: number; to: number }[], lo: number, hi: number): void => {
    if (!(lo < hi)) return;
    const last = list[list.length - 1];
    if (last !== undefined && last.to === lo) last.to = hi;
    else list.push({ from: lo, to: hi });
  };
  const first = Math.ceil(from / DEPENDENCY_MINUTE) * DEPENDENCY_MINUTE;
  const end = Math.floor(to / DEPENDENCY_MINUTE) * DEPENDENCY_MINUTE;
  if (first >= end) {
    add(plan.joined, from, to);
    return plan;
  }
  add(plan.joined, from, first);
  for (let m = first; m < end; m += DEPENDENCY_MINUTE) {
    if (covered.has(m)) add(plan.aggregated, m, m + DEPENDENCY_MINUTE);
    else add(plan.joined, m, m + DEPENDENCY_MINUTE);
  }
  add(plan.joined, end, to);
  return plan;
}
