import { DEFAULT_TENANT, SpanKind, type Trace } from '../../../model/span.ts';
import type { TraceVerdict } from '../../../storage/completeness-reader.ts';
import type { TraceReader } from '../../../storage/trace-reader.ts';
import { digestSpan, nameHash, type SpanDigest } from '../../span-digest.ts';
import { CalleeDirectory } from './callee-directory.ts';
import { breaksTrace, classifyTrace, indexSpans } from './classify-trace.ts';

export interface TraceJudgeOptions {
  reader: TraceReader;
  /**
   * What the running completeness processor learned from `tenant`'s traces
   * (`CompletenessProcessor.directoryOf`); undefined (none runs, or it saw none of the
   * tenant's traces) judges with a directory learned from the trace alone.
   */
  directory: (tenant: string) => CalleeDirectory | undefined;
  /** Clock-skew tolerance when looking for the other half of a split (ms). */
  skewMs: () => number;
}

/** Traces read when looking for the other half of a split. */
const SEARCH_LIMIT = 50;
/**
 * Traces read when looking for the caller of a fragment: any service may be the
 * caller, so the search returns the latest traces with a CLIENT/PRODUCER span up to
 * the root's start plus the skew tolerance, and the caller's call is among them only
 * if they reach back to it (at 500 traces/s, 50 traces are about 100 ms).
 */
const CALLER_SEARCH_LIMIT = 200;
/** How far before a callee root a caller's call may have started (µs). */
const CALLER_LOOKBACK_US = 60_000_000;

/**
 * Judges one stored trace at query time (`GET /api/completeness/traces/:traceId`, the
 * trace page's banner): the same classification as the processor, with the other
 * half of a split looked up in the store — for an unanswered call, a root of the
 * callee starting within the call's window; for a root of a service others call, a
 * caller trace whose unanswered call it answers — preferring the same name, then the
 * start closest to the call's plus the edge's learned offset (`CalleeDirectory.offsetUs`).
 *
 * Within one tenant: the other halves are searched among `tenant`'s traces only, with
 * what was learned from them. `tenant` defaults to the tenant of the trace's spans
 * (`Resource.tenant`, as the store returns it).
 */
export function createTraceJudge(
  options: TraceJudgeOptions,
): (trace: Trace, tenant?: string) => Promise<TraceVerdict> {
  return async (trace, tenant = trace.spans[0]?.resource.tenant ?? DEFAULT_TENANT) => {
    const spans = trace.spans.map(digestSpan).sort((a, b) => a.startTime - b.startTime);
    const { byId } = indexSpans(spans);
    const learned = options.directory(tenant);
    const directory = learned ?? new CalleeDirectory();
    if (learned === undefined) directory.learn(spans, byId);
    const judged = classifyTrace(trace.traceId, spans, directory, byId);
    const skewUs = options.skewMs() * 1000;
    for (const b of judged.breaks) {
      if (b.cause !== 'unanswered_call') continue;
      const call = byId.get(b.spanId) as SpanDigest;
      const offsetUs = directory.offsetUs(b.service, b.peer);
      const other = await findCalleeHalf(
        options.reader,
        tenant,
        trace.traceId,
        call,
        b.peer,
        skewUs,
        offsetUs,
      );
      if (other === undefined) continue;
      b.cause = call.kind === SpanKind.Producer ? 'async_break' : 'split_trace';
      b.otherTraceId = other;
    }
    const root = spans.find((s) => s.parentSpanId === '');
    if (
      root !== undefined &&
      (root.kind === SpanKind.Server || root.kind === SpanKind.Consumer) &&
      directory.isCallee(root.service)
    ) {
      const caller = await findCallerHalf(
        options.reader,
        tenant,
        directory,
        trace.traceId,
        root,
        skewUs,
      );
      if (caller !== undefined) {
        judged.breaks.push({
          cause: 'fragment',
          spanId: root.spanId,
          service: root.service,
          peer: caller.service,
          otherTraceId: caller.traceId,
        });
      }
    }
    return {
      traceId: trace.traceId,
      complete: !judged.breaks.some((b) => breaksTrace(b.cause)),
      causes: judged.breaks,
    };
  };
}

async function findCalleeHalf(
  reader: TraceReader,
  tenant: string,
  traceId: string,
  call: SpanDigest,
  callee: string,
  skewUs: number,
  offsetUs: number,
): Promise<string | undefined> {
  const from = call.startTime - skewUs;
  const to = call.startTime + call.duration + skewUs;
  const traces = await reader.findTraces({
    tenant,
    serviceName: callee,
    tags: {},
    startTimeMin: from,
    startTimeMax: to,
    limit: SEARCH_LIMIT,
  });
  const kind = call.kind === SpanKind.Producer ? SpanKind.Consumer : SpanKind.Server;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const t of traces) {
    if (t.traceId === traceId) continue;
    for (const s of t.spans) {
      if (s.parentSpanId !== '' || s.kind !== kind || s.resource.serviceName !== callee) continue;
      if (s.startTime < from || s.startTime > to) continue;
      const score =
        (nameHash(s.name) === call.nameHash ? 0 : 1e15) +
        Math.abs(s.startTime - call.startTime - offsetUs);
      if (score < bestScore) {
        best = t.traceId;
        bestScore = score;
      }
    }
  }
  return best;
}

async function findCallerHalf(
  reader: TraceReader,
  tenant: string,
  directory: CalleeDirectory,
  traceId: string,
  root: SpanDigest,
  skewUs: number,
): Promise<{ traceId: string; service: string } | undefined> {
  const kind = root.kind === SpanKind.Consumer ? SpanKind.Producer : SpanKind.Client;
  // Traces with a CLIENT/PRODUCER span started before the root, the latest first.
  const traces = await reader.findTraces({
    tenant,
    tags: { 'span.kind': kind === SpanKind.Producer ? 'producer' : 'client' },
    startTimeMin: root.startTime - CALLER_LOOKBACK_US,
    startTimeMax: root.startTime + skewUs,
    limit: CALLER_SEARCH_LIMIT,
  });
  // The same preference as for the callee half: a call of the same name, then the one
  // whose start plus the edge's learned offset is closest to the root's start.
  let best: { traceId: string; service: string } | undefined;
  let bestScore = Infinity;
  for (const t of traces) {
    if (t.traceId === traceId) continue;
    const spans = t.spans.map(digestSpan);
    const answered = new Set(spans.map((s) => s.parentSpanId));
    for (const s of spans) {
      if (s.kind !== kind || answered.has(s.spanId)) continue;
      if (directory.calleeOf(s) !== root.service) continue;
      if (
        root.startTime < s.startTime - skewUs ||
        root.startTime > s.startTime + s.duration + skewUs
      )
        continue;
      const score =
        (s.nameHash === root.nameHash ? 0 : 1e15) +
        Math.abs(root.startTime - s.startTime - directory.offsetUs(s.service, root.service));
      if (score < bestScore) {
        best = { traceId: t.traceId, service: s.service };
        bestScore = score;
      }
    }
  }
  return best;
}
