import type { BreakCause } from './completeness-writer.ts';

/** Resolution of the stored completeness aggregates: one minute, µs. */
export const COMPLETENESS_MINUTE = 60_000_000;

/** The most points a completeness time series may have. */
export const MAX_COMPLETENESS_POINTS = 11_000;

/** Example trace ids returned per (cause, service, peer) and per cause. */
export const COMPLETENESS_EXAMPLES = 5;

/** (service, peer) pairs returned per cause, the most frequent first. */
export const COMPLETENESS_TOP_PAIRS = 20;

/**
 * Every break cause, and whether it makes a trace incomplete: `late_span` and
 * `duplicate_span` are counted but do not (as the classifier's `breaksTrace` decides);
 * `sampled_out_parent` is an orphan, reported under its own
 * cause because it is not a propagation bug.
 */
export const BREAK_CAUSES: Readonly<Record<BreakCause, { incomplete: boolean }>> = {
  orphan: { incomplete: true },
  rootless: { incomplete: true },
  multiple_roots: { incomplete: true },
  unanswered_call: { incomplete: true },
  split_trace: { incomplete: true },
  async_break: { incomplete: true },
  fragment: { incomplete: true },
  sampled_out_parent: { incomplete: true },
  late_span: { incomplete: false },
  duplicate_span: { incomplete: false },
};

/**
 * A completeness query. The window is the per-minute aggregates whose minute overlaps
 * `[start, end)`: minute `m` counts when `m + 1 min > start` and `m < end` (a minute is
 * the minute of the trace's root span start, see completeness-writer.ts).
 */
export interface CompletenessQuery {
  /** Only this tenant's aggregates. */
  tenant: string;
  /** Start of the window, µs since epoch. */
  start: number;
  /** End of the window (exclusive), µs since epoch, ≥ `start`. */
  end: number;
  /**
   * Only what concerns this service: root-service counts, the summary and the series
   * for traces whose root is this service; the per-service row of this service; edges
   * where it is the caller or the callee; breaks where it is the service or the peer.
   */
  service?: string;
  /** Width of each time-series bucket, µs: a positive multiple of {@link COMPLETENESS_MINUTE}. */
  step: number;
}

/** Traces counted, how many were complete, and the rate `complete / traces` (null when no trace). */
export interface CompletenessCounts {
  traces: number;
  complete: number;
  rate: number | null;
}

/** Break counts by cause; only causes with a non-zero count are present. */
export type BreakCounts = Partial<Record<BreakCause, number>>;

/** Completeness of the traces whose root span is in `service` ('' for rootless traces). */
export interface RootServiceCompleteness extends CompletenessCounts {
  service: string;
}

/** Spans of `service` in assembled traces, and the share of them in complete traces. */
export interface ServiceCompleteness {
  service: string;
  spans: number;
  spansInComplete: number;
  /** `spansInComplete / spans`, null when `spans` is 0. */
  rate: number | null;
  /** Breaks recorded at this service (it is the break's `service`), by cause. */
  breaks: BreakCounts;
  /** Sum of `breaks` over the causes that make a trace incomplete. */
  breakCount: number;
}

/** Judged calls on a caller → callee edge, and how many were answered in the same trace. */
export interface EdgeCompleteness {
  caller: string;
  callee: string;
  calls: number;
  answered: number;
  /** `answered / calls`, null when `calls` is 0. */
  rate: number | null;
  /**
   * Breaks whose service is the caller and peer the callee, by cause (`unanswered_call`,
   * `split_trace`, `async_break`). A `fragment` is recorded at the callee with the caller
   * as peer and belongs to the reverse key, so it is not counted here twice.
   */
  breaks: BreakCounts;
  /** Sum of `breaks` over the causes that make a trace incomplete. */
  breakCount: number;
}

/** An example trace; for a split or an async break, the trace that holds the other half. */
export interface BreakExample {
  traceId: string;
  otherTraceId?: string;
}

/** Breaks of one cause at one (service, peer). */
export interface BreakPair {
  service: string;
  /** The other side when known ('' otherwise). */
  peer: string;
  count: number;
  /** The most recent example traces, at most {@link COMPLETENESS_EXAMPLES}, newest first. */
  examples: BreakExample[];
}

/** One break cause over the window. */
export interface CauseCompleteness {
  cause: BreakCause;
  /** Whether this cause makes a trace incomplete (see {@link BREAK_CAUSES}). */
  incomplete: boolean;
  count: number;
  /** The (service, peer) pairs with the most breaks, at most {@link COMPLETENESS_TOP_PAIRS}. */
  top: BreakPair[];
  /** The most recent example traces of the cause, any pair, at most {@link COMPLETENESS_EXAMPLES}. */
  examples: BreakExample[];
}

/** One time-series bucket: `[time, time + step)`. */
export interface CompletenessPoint extends CompletenessCounts {
  /** Start of the bucket, µs since epoch (a multiple of `step`). */
  time: number;
}

/** The answer to a {@link CompletenessQuery}. */
export interface CompletenessReport {
  /** Over every root service (or the filtered one). */
  summary: CompletenessCounts;
  /** Sorted by incomplete traces (`traces - complete`) descending, then service. */
  rootServices: RootServiceCompleteness[];
  /** Sorted by `breakCount` descending, then spans outside complete traces descending, then service. */
  services: ServiceCompleteness[];
  /** Sorted by `breakCount` descending, then unanswered calls descending, then caller, callee. */
  edges: EdgeCompleteness[];
  /** Sorted by `count` descending, then cause. */
  causes: CauseCompleteness[];
  /**
   * One point per `step`-wide bucket (aligned to multiples of `step` since the epoch)
   * from the bucket holding the window's first minute to the one holding its last,
   * ascending; buckets without traces have 0 traces and a null rate.
   */
  series: CompletenessPoint[];
}

/**
 * Reads the completeness aggregates written through `CompletenessWriter`.
 *
 * Contract:
 * - Every count is the sum of the deltas with that key in the window, so negative
 *   corrections cancel what they correct. Keys whose sums are all 0 in the window are
 *   left out (a root service, service, edge or pair that only had corrected counts).
 * - Examples: each break row's `examples` are trace ids (`traceId` or
 *   `traceId>otherTraceId`). An example listed on a row with a **negative** count is
 *   withdrawn: it is not returned for that (cause, service, peer) in the window. The
 *   newest examples (by minute) are returned, each trace id once.
 * - `service` filters as {@link CompletenessQuery.service} says; an unknown service gives
 *   zero counts and empty lists, not an error.
 * - Rows written with `writeCompleteness` are seen by reads that start after it resolved.
 * - Returned objects are owned by the caller.
 * - Rejects with `InvalidParameterError` when `end < start`, when `step` is not a positive
 *   multiple of a minute, or when the series would have more than
 *   {@link MAX_COMPLETENESS_POINTS} points; with `StorageError` when the backend fails.
 */
export interface CompletenessReader {
  completeness(q: CompletenessQuery): Promise<CompletenessReport>;
}

/**
 * One break found in a trace when it is classified at query time (`classifyTrace`).
 * Proposed shape, shared with the completeness processor.
 */
export interface TraceBreak {
  cause: BreakCause;
  /** The span at fault: the orphan, the unanswered CLIENT/PRODUCER span, the fragment's root ('' when none, e.g. rootless). */
  spanId: string;
  /** The break's service (as in `BreakRow.service`). */
  service: string;
  /** The other side when known ('' otherwise). */
  peer: string;
  /** For `split_trace` / `async_break`: the trace holding the callee's half; for `fragment`: the caller's trace. */
  otherTraceId?: string;
}

/** The verdict on one trace: complete or not, and every break found in it. */
export interface TraceVerdict {
  traceId: string;
  /** True when no break of a cause that makes a trace incomplete was found. */
  complete: boolean;
  /** In span start order; empty for a complete trace without counted-apart breaks. */
  causes: TraceBreak[];
}
