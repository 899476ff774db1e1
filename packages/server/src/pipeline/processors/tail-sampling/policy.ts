import type { Span } from '../../../model/span.ts';

/** A whole trace, held in the trace buffer until its decision. */
export interface HeldTrace {
  /** The tenant whose trace this is (`Resource.tenant`); decided apart from other tenants' traces. */
  tenant: string;
  traceId: string;
  /** Every span that arrived for the trace, in arrival order. Read-only for policies. */
  spans: readonly Span[];
}

/**
 * What one policy says about a trace (the OpenTelemetry Collector's tail sampling
 * vocabulary):
 * - `sampled` / `not_sampled`: this policy wants the trace kept / has no reason to keep it;
 * - `dropped`: an explicit drop (a `drop` policy matched); it wins over every `sampled`;
 * - `invert_sampled` / `invert_not_sampled`: an attribute policy with `invert: true`
 *   found no matching value / found one. At the top level `invert_not_sampled` drops
 *   like `dropped`, and `invert_sampled` keeps the trace only when no other policy said
 *   `not_sampled` (the collector's deprecated invert rules); inside `and`, `drop` and
 *   `composite` they count as plain `sampled` / `not_sampled`.
 */
export type PolicyDecision =
  'sampled' | 'not_sampled' | 'dropped' | 'invert_sampled' | 'invert_not_sampled';

/**
 * One tail-sampling policy (always, latency, status code, string / numeric / boolean
 * attribute, probabilistic, rate limiting, span count, and / drop / composite).
 *
 * Contract: `evaluate` is synchronous and pure except for rate-limiting state (which
 * it may update: it is called once per trace, in decision order); `nowMs` is the
 * decision time. It never throws on span content and allocates nothing per span.
 */
export interface TailSamplingPolicy {
  /** The policy's name from the config (labels the metrics). */
  readonly name: string;
  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision;
}

/**
 * Why a trace was kept or dropped (a metrics label):
 * - `debug`: a span carries Jaeger's / Zipkin's debug mark; kept whatever the policies say;
 * - `no_policies`: no policy is configured, every trace is kept;
 * - `sampled`: `policy` sampled it (the first one that did) and none dropped it;
 * - `dropped`: `policy` dropped it explicitly (a `drop` policy, or an inverted match);
 * - `not_sampled`: no policy sampled it.
 */
export type DecisionReason = 'debug' | 'no_policies' | 'sampled' | 'dropped' | 'not_sampled';

/** The decision on a trace. Decision objects may be shared between traces: do not mutate. */
export interface TraceDecision {
  keep: boolean;
  /**
   * The policy that decided: the first that sampled a kept trace, or the one that
   * dropped a trace explicitly; undefined for `debug`, `no_policies` and `not_sampled`.
   */
  policy: string | undefined;
  reason: DecisionReason;
}

/**
 * Whether a sub-policy's decision counts as "sampled" inside `and`, `drop` and
 * `composite`, where inverted decisions are plain ones and `dropped` cannot occur.
 */
export function samplesAsSubPolicy(decision: PolicyDecision): boolean {
  return decision === 'sampled' || decision === 'invert_sampled';
}
