import { isDebugTrace } from './debug-trace.ts';
import type { HeldTrace, TailSamplingPolicy, TraceDecision } from './policy.ts';

const KEEP_DEBUG: TraceDecision = Object.freeze({ keep: true, policy: undefined, reason: 'debug' });
const KEEP_NO_POLICIES: TraceDecision = Object.freeze({
  keep: true,
  policy: undefined,
  reason: 'no_policies',
});
const DROP_NOT_SAMPLED: TraceDecision = Object.freeze({
  keep: false,
  policy: undefined,
  reason: 'not_sampled',
});

/**
 * The decision on a whole trace, from its policies (in configured order):
 *
 * 1. a debug trace (`isDebugTrace`: `jaeger-debug-id`, Jaeger's / Zipkin's debug flag)
 *    is kept, and the policies are not evaluated (no rate budget is spent on it);
 * 2. no policies: every trace is kept;
 * 3. a policy that drops (`dropped`, or an inverted attribute policy that matched)
 *    drops the trace, whatever the others said; evaluation stops there;
 * 4. otherwise the first policy that sampled keeps it;
 * 5. otherwise an inverted attribute policy that did not match keeps it, unless some
 *    policy said `not_sampled` (the collector's invert rules);
 * 6. otherwise the trace is dropped (`not_sampled`).
 *
 * Every policy is evaluated (up to a drop), so stateful ones (rate limiting,
 * composite) spend their budget on every trace they sample, even one another policy
 * also sampled. `compileTailSamplingPolicies` puts drop and inverted policies first,
 * which changes no outcome but keeps dropped traces from spending budget.
 * Allocates one small object per kept or explicitly dropped trace, nothing per span.
 */
export function decide(
  policies: readonly TailSamplingPolicy[],
  trace: HeldTrace,
  nowMs: number,
): TraceDecision {
  if (isDebugTrace(trace.spans)) return KEEP_DEBUG;
  if (policies.length === 0) return KEEP_NO_POLICIES;
  let sampled: TailSamplingPolicy | undefined;
  let invertSampled: TailSamplingPolicy | undefined;
  let notSampled = false;
  for (let i = 0; i < policies.length; i++) {
    const policy = policies[i];
    switch (policy.evaluate(trace, nowMs)) {
      case 'sampled':
        sampled ??= policy;
        break;
      case 'not_sampled':
        notSampled = true;
        break;
      case 'invert_sampled':
        invertSampled ??= policy;
        break;
      case 'dropped':
      case 'invert_not_sampled':
        return { keep: false, policy: policy.name, reason: 'dropped' };
    }
  }
  if (sampled !== undefined) return { keep: true, policy: sampled.name, reason: 'sampled' };
  if (invertSampled !== undefined && !notSampled) {
    return { keep: true, policy: invertSampled.name, reason: 'sampled' };
  }
  return DROP_NOT_SAMPLED;
}
