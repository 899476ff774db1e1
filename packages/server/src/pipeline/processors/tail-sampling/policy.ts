import type { Span } from '../../../model/span.ts';

/** A whole trace, held in the trace buffer until its decision. */
export interface HeldTrace {
  traceId: string;
  /** Every span that arrived for the trace, in arrival order. Read-only for policies. */
  spans: readonly Span[];
}

/** What one policy says about a trace (the OpenTelemetry Collector's tail sampling vocabulary). */
export type PolicyDecision = 'sampled' | 'not_sampled';

/**
 * One tail-sampling policy (always, latency, status code, string / numeric / boolean
 * attribute, probabilistic, rate limiting, span count, and / composite).
 *
 * Contract: `evaluate` is synchronous and pure except for rate-limiting state (which
 * it may update: it is called once per trace, in decision order); `nowMs` is the
 * decision time. It never throws on span content.
 */
export interface TailSamplingPolicy {
  /** The policy's name from the config (labels the metrics). */
  readonly name: string;
  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision;
}

/** The decision on a trace and the first policy that sampled it (or undefined when dropped). */
export interface TraceDecision {
  keep: boolean;
  policy: string | undefined;
}
