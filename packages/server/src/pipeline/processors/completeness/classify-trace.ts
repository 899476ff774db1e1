import { SpanKind } from '../../../model/span.ts';
import type { TraceBreak } from '../../../storage/completeness-reader.ts';
import type { BreakCause } from '../../../storage/completeness-writer.ts';
import type { SpanDigest } from '../../span-digest.ts';
import type { CalleeDirectory } from './callee-directory.ts';

/** A CLIENT/PRODUCER span whose callee is a known instrumented service. */
export interface JudgedCall {
  span: SpanDigest;
  caller: string;
  callee: string;
  /** The callee's SERVER/CONSUMER span is in the same trace (or a consumer linked to it). */
  answered: boolean;
}

/** The verdict on one assembled trace, with what the aggregates need. */
export interface TraceJudgement {
  traceId: string;
  /** No break that makes it incomplete (late and duplicate spans do not). */
  complete: boolean;
  /** Service of the single root; of the earliest span when there is no single root. */
  rootService: string;
  /** Start of the root (or earliest) span, µs. */
  startTime: number;
  breaks: TraceBreak[];
  calls: JudgedCall[];
  /** Spans per service (duplicates counted once). */
  spansByService: Map<string, number>;
}

/** Causes that do not make a trace incomplete. */
const BENIGN: ReadonlySet<BreakCause> = new Set<BreakCause>(['late_span', 'duplicate_span']);

/** Whether a break makes its trace incomplete. */
export function breaksTrace(cause: BreakCause): boolean {
  return !BENIGN.has(cause);
}

/**
 * Classifies one assembled trace (issue #10's definitions; see
 * docs/api.md#completeness). Pure: reads the directory, changes nothing. Unanswered
 * calls come back as `unanswered_call`; the caller may pair them with the other half
 * in another trace and turn them into `split_trace` / `async_break`
 * (`pairUnanswered`). `linkedSpanIds` of consumers elsewhere answer a PRODUCER when
 * given in `linkedElsewhere`.
 */
export function classifyTrace(
  traceId: string,
  spans: readonly SpanDigest[],
  directory: CalleeDirectory,
  byId: ReadonlyMap<string, SpanDigest> = indexSpans(spans).byId,
  linkedElsewhere?: { has(spanId: string): boolean },
): TraceJudgement {
  const breaks: TraceBreak[] = [];
  const calls: JudgedCall[] = [];
  const spansByService = new Map<string, number>();
  const answeredIds = new Set<string>();
  const seen = new Set<string>();
  let sampledBitSeen = false;
  const roots: SpanDigest[] = [];
  let earliest: SpanDigest | undefined;

  for (const s of spans) {
    if (seen.has(s.spanId)) {
      breaks.push({ cause: 'duplicate_span', spanId: s.spanId, service: s.service, peer: '' });
      continue;
    }
    seen.add(s.spanId);
    spansByService.set(s.service, (spansByService.get(s.service) ?? 0) + 1);
    if ((s.flags & 1) === 1) sampledBitSeen = true;
    if (earliest === undefined || s.startTime < earliest.startTime) earliest = s;
    if (s.parentSpanId === '') roots.push(s);
    else if (s.kind === SpanKind.Server || s.kind === SpanKind.Consumer)
      answeredIds.add(s.parentSpanId);
    if (s.linkedSpanIds !== undefined && s.kind === SpanKind.Consumer)
      for (const id of s.linkedSpanIds) answeredIds.add(id);
  }
  const first = roots.length === 1 ? roots[0] : (earliest as SpanDigest);

  if (roots.length === 0)
    breaks.push({ cause: 'rootless', spanId: first.spanId, service: first.service, peer: '' });
  else if (roots.length > 1)
    breaks.push({
      cause: 'multiple_roots',
      spanId: first.spanId,
      service: first.service,
      peer: '',
    });

  seen.clear();
  for (const s of spans) {
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    if (s.parentSpanId !== '' && !byId.has(s.parentSpanId)) {
      // An orphan the SDK recorded although its parent was not sampled is not a propagation bug.
      const cause = sampledBitSeen && (s.flags & 1) === 0 ? 'sampled_out_parent' : 'orphan';
      breaks.push({ cause, spanId: s.spanId, service: s.service, peer: '' });
    }
    if (s.kind !== SpanKind.Client && s.kind !== SpanKind.Producer) continue;
    const callee = directory.calleeOf(s);
    if (callee === undefined) continue;
    const answered =
      answeredIds.has(s.spanId) || (linkedElsewhere !== undefined && linkedElsewhere.has(s.spanId));
    calls.push({ span: s, caller: s.service, callee, answered });
    if (!answered)
      breaks.push({ cause: 'unanswered_call', spanId: s.spanId, service: s.service, peer: callee });
  }

  return {
    traceId,
    complete: !breaks.some((b) => breaksTrace(b.cause)),
    rootService: roots.length === 0 ? '' : first.service,
    startTime: first.startTime,
    breaks,
    calls,
    spansByService,
  };
}

/** The spans of a trace by id (the first of duplicates wins). */
export function indexSpans(spans: readonly SpanDigest[]): { byId: Map<string, SpanDigest> } {
  const byId = new Map<string, SpanDigest>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  return { byId };
}
