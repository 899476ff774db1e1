import { callEligible, specMatches, type BreakSpec, type InjectedCause } from './break-spec.ts';
import type { PlannedCall, PlannedSpan } from './trace-plan.ts';
import type { TraceTruth, TruthBreak } from './trace-truth.ts';

/** Whether `callee` is the instrumented callee side of a call made by `caller`. */
function isCall(caller: PlannedSpan, callee: PlannedSpan): boolean {
  return (
    ((caller.kind === 'client' && callee.kind === 'server') ||
      (caller.kind === 'producer' && callee.kind === 'consumer')) &&
    caller.service !== callee.service
  );
}

function callOf(caller: PlannedSpan, callee: PlannedSpan): PlannedCall {
  return {
    caller: caller.service,
    callee: callee.service,
    protocol:
      caller.kind === 'producer' ? 'queue' : 'rpc.system' in caller.attributes ? 'grpc' : 'http',
  };
}

/**
 * Picks at most one of the rules matching a call (or a span, for `late`) with one
 * uniform draw, so each rule keeps its own rate. Draws nothing when no rule matches,
 * so rules for other edges do not change this edge's injections.
 */
function pick(
  specs: readonly BreakSpec[],
  matches: (spec: BreakSpec) => boolean,
  random: () => number,
): InjectedCause | null {
  let any = false;
  for (const spec of specs) if (matches(spec)) any = true;
  if (!any) return null;
  const u = random();
  let cumulative = 0;
  for (const spec of specs) {
    if (!matches(spec)) continue;
    cumulative += spec.rate;
    if (u < cumulative) return spec.cause;
  }
  return null;
}

/**
 * Injects breaks into one planned trace, in place, and returns the trace's truth.
 *
 * Marks spans with `trace` (fragments of split/async calls, numbered from 1), `dropped`
 * (unanswered callee subtrees; the caller span of an orphan) and `late`. Parents keep
 * their causal index. Spans are visited in plan order (parents first); a call inside a
 * subtree that is not sent is never a candidate. The truth is the bookkeeping of what
 * was injected: judged calls and whether they are answered, breaks by cause, service
 * and peer, and each emitted trace's root service and completeness.
 *
 * Deterministic: the same plan, rules and `random` state give the same result.
 */
export function injectBreaks(
  spans: PlannedSpan[],
  specs: readonly BreakSpec[],
  random: () => number,
): TraceTruth {
  const n = spans.length;
  const hasChildren = new Array<boolean>(n).fill(false);
  for (const s of spans) if (s.parent >= 0) hasChildren[s.parent] = true;
  const lateSpecs = specs.filter((s) => s.cause === 'late');
  const callSpecs = specs.filter((s) => s.cause !== 'late');
  const subtreeGone = new Array<boolean>(n).fill(false);
  const fragmentRoots: number[] = [0];

  for (let i = 0; i < n; i++) {
    const s = spans[i];
    const p = s.parent;
    if (p >= 0 && subtreeGone[p]) {
      s.dropped = true;
      subtreeGone[i] = true;
      continue;
    }
    if (p < 0) continue;
    const parentTrace = spans[p].trace ?? 0;
    if (parentTrace !== 0) s.trace = parentTrace;
    if (isCall(spans[p], s) && callSpecs.length > 0) {
      const call = callOf(spans[p], s);
      const cause = pick(
        callSpecs,
        (spec) => callEligible(spec.cause, call) && specMatches(spec, call.caller, call.callee),
        random,
      );
      if (cause === 'split' || cause === 'async') {
        s.trace = fragmentRoots.length;
        fragmentRoots.push(i);
      } else if (cause === 'unanswered') {
        s.dropped = true;
        subtreeGone[i] = true;
        continue;
      } else if (cause === 'orphan') {
        spans[p].dropped = true;
      }
    }
    // Only spans nothing hangs from and that answer no call, so a trace assembled
    // without them is still whole (internal work, database and cache calls).
    if (
      lateSpecs.length > 0 &&
      !hasChildren[i] &&
      (s.kind === 'internal' || s.kind === 'client') &&
      pick(lateSpecs, () => true, random) === 'late'
    ) {
      s.late = true;
    }
  }
  return truthOf(spans, fragmentRoots);
}

function truthOf(spans: readonly PlannedSpan[], fragmentRoots: readonly number[]): TraceTruth {
  const truth: TraceTruth = {
    traces: fragmentRoots.map((root) => ({
      rootService: spans[root].service,
      complete: true,
      spansByService: {},
    })),
    calls: [],
    breaks: [],
  };
  const broke = (b: TruthBreak) => {
    truth.breaks.push(b);
    if (b.cause !== 'late_span') truth.traces[b.trace].complete = false;
  };
  for (let k = 1; k < fragmentRoots.length; k++) {
    const root = spans[fragmentRoots[k]];
    broke({ cause: 'fragment', service: root.service, peer: spans[root.parent].service, trace: k });
  }
  for (const s of spans) {
    const t = s.trace ?? 0;
    if (s.parent >= 0) {
      const c = spans[s.parent];
      const ct = c.trace ?? 0;
      if (isCall(c, s) && c.dropped !== true) {
        const answered = s.dropped !== true && t === ct;
        truth.calls.push({ caller: c.service, callee: s.service, answered });
        if (s.dropped === true) {
          broke({ cause: 'unanswered_call', service: c.service, peer: s.service, trace: ct });
        } else if (!answered) {
          const cause = c.kind === 'producer' ? 'async_break' : 'split_trace';
          broke({ cause, service: c.service, peer: s.service, trace: ct });
        }
      } else if (c.dropped === true && s.dropped !== true && t === ct) {
        broke({ cause: 'orphan', service: s.service, peer: '', trace: t });
      }
    }
    if (s.dropped === true) continue;
    if (s.late === true) broke({ cause: 'late_span', service: s.service, peer: '', trace: t });
    else {
      const counts = truth.traces[t].spansByService;
      counts[s.service] = (counts[s.service] ?? 0) + 1;
    }
  }
  return truth;
}
