/**
 * Trace completeness aggregates (issue #10), as the completeness processor hands them
 * to storage. Every row is a **delta** over one minute: rows with the same key add up,
 * and a later row may subtract (when a trace counted complete turns out to be the
 * callee half of a split trace, its counts are taken back with negative deltas).
 *
 * Causes (`BreakCause`):
 * - `orphan`: a span whose parent span id is not in the trace;
 * - `rootless`: no span without a parent; `multiple_roots`: more than one;
 * - `unanswered_call`: a CLIENT/PRODUCER span whose callee is a known instrumented
 *   service, with no SERVER/CONSUMER child in the trace, and no other half found;
 * - `split_trace`: the same, with the callee's half found as the root of another
 *   trace (CLIENT → SERVER: the trace context was not injected or not extracted);
 * - `async_break`: the same for PRODUCER → CONSUMER (a queue, a timer, a worker):
 *   the consumer started a new trace without a link;
 * - `fragment`: a trace that is the callee half of a split (its root's caller is in
 *   another trace);
 * - `sampled_out_parent`: an orphan whose parent was not sampled (W3C sampled flag
 *   unset on the orphan): not a propagation bug, counted apart;
 * - `late_span`: a span that arrived after its trace was assembled; `duplicate_span`:
 *   a span id seen twice in one trace. Counted apart; they do not make a trace
 *   incomplete.
 */
export type BreakCause =
  | 'orphan'
  | 'rootless'
  | 'multiple_roots'
  | 'unanswered_call'
  | 'split_trace'
  | 'async_break'
  | 'fragment'
  | 'sampled_out_parent'
  | 'late_span'
  | 'duplicate_span';

/** Traces by root service: how many were assembled, how many complete. */
export interface RootCompletenessRow {
  /** The tenant of the spans aggregated (`Resource.tenant`). */
  tenant: string;
  minute: number;
  /** Service of the single root span; '' for a rootless trace. */
  rootService: string;
  traces: number;
  complete: number;
}

/** Spans by service: how many were in assembled traces, how many of those traces were complete. */
export interface ServiceCompletenessRow {
  /** The tenant of the spans aggregated (`Resource.tenant`). */
  tenant: string;
  minute: number;
  service: string;
  spans: number;
  spansInComplete: number;
}

/** Calls on a caller → callee edge (judged CLIENT/PRODUCER spans), and how many were answered in the same trace. */
export interface EdgeCompletenessRow {
  /** The tenant of the spans aggregated (`Resource.tenant`). */
  tenant: string;
  minute: number;
  caller: string;
  callee: string;
  calls: number;
  answered: number;
}

/**
 * Breaks by cause, where they happened: `service` is the service of the span at fault
 * (the caller for calls, the orphan for orphans), `peer` the other side when known
 * ('' otherwise). `examples` holds up to a few trace ids (for a split, `traceId>otherTraceId`).
 */
export interface BreakRow {
  /** The tenant of the spans aggregated (`Resource.tenant`). */
  tenant: string;
  minute: number;
  cause: BreakCause;
  service: string;
  peer: string;
  count: number;
  examples: string[];
}

/** One flush of completeness deltas. */
export interface CompletenessDelta {
  roots: RootCompletenessRow[];
  services: ServiceCompletenessRow[];
  edges: EdgeCompletenessRow[];
  breaks: BreakRow[];
}

/**
 * Keeps completeness aggregates.
 *
 * Contract: `writeCompleteness` resolves once the rows are durable and readers see
 * them; each call adds (rows are deltas, not idempotent). Rows older than the store's
 * retention are purged with the spans. It does not keep references to the rows.
 */
export interface CompletenessWriter {
  writeCompleteness(delta: CompletenessDelta): Promise<void>;
}
