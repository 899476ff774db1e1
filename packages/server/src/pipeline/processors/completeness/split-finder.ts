import { SpanKind } from '../../../model/span.ts';
import type { SpanDigest } from '../../span-digest.ts';

/** A root SERVER/CONSUMER span seen recently: a possible callee half of a split trace. */
export interface RootCandidate {
  traceId: string;
  service: string;
  kind: SpanKind;
  nameHash: number;
  /** µs. */
  startTime: number;
  paired: boolean;
  /** Filled once the candidate's trace was assembled and counted (see `CompletenessProcessor`). */
  counted: CountedTrace | undefined;
}

/** How a trace was counted, so a later pairing can take it back. */
export interface CountedTrace {
  /** When it was judged (wall clock, ms). */
  judgedAt: number;
  minute: number;
  rootService: string;
  complete: boolean;
  spansByService: Map<string, number>;
}

/**
 * Finds the other half of an unanswered call: the root SERVER (for a CLIENT) or
 * CONSUMER (for a PRODUCER) span of the callee in another trace, starting within the
 * call's time window widened by the clock-skew tolerance; an unpaired one with the
 * call's name first, then the closest start. Candidates are registered as their spans
 * arrive and forgotten after `retainUs` of span time, or past `maxPerService`.
 */
export class SplitFinder {
  readonly #byService = new Map<string, RootCandidate[]>();
  readonly #retainUs: number;
  readonly #maxPerService: number;
  #skewUs: number;

  constructor(options: { skewMs: number; retainUs: number; maxPerService?: number }) {
    this.#skewUs = options.skewMs * 1000;
    this.#retainUs = options.retainUs;
    this.#maxPerService = options.maxPerService ?? 50_000;
  }

  set skewMs(ms: number) {
    this.#skewUs = ms * 1000;
  }

  /** Services with candidates kept (0: nothing left to pair). */
  get services(): number {
    return this.#byService.size;
  }

  /** Registers a span if it is a root SERVER/CONSUMER span (hot path: cheap otherwise). */
  register(
    traceId: string,
    span: { parentSpanId: string; kind: SpanKind; startTime: number },
    service: string,
    nameHash: number,
  ): RootCandidate | undefined {
    if (
      span.parentSpanId !== '' ||
      (span.kind !== SpanKind.Server && span.kind !== SpanKind.Consumer)
    )
      return undefined;
    let list = this.#byService.get(service);
    if (list === undefined) {
      list = [];
      this.#byService.set(service, list);
    }
    const candidate: RootCandidate = {
      traceId,
      service,
      kind: span.kind,
      nameHash,
      startTime: span.startTime,
      paired: false,
      counted: undefined,
    };
    list.push(candidate);
    if (list.length > this.#maxPerService) list.splice(0, list.length - this.#maxPerService);
    return candidate;
  }

  /**
   * Forgets candidates already paired, those that started before `nowUs - retainUs`,
   * and those `ruledOut` says can no longer be the other half of a split.
   */
  prune(nowUs: number, ruledOut?: (candidate: RootCandidate) => boolean): void {
    const cutoff = nowUs - this.#retainUs;
    for (const [service, list] of this.#byService) {
      const kept = list.filter(
        (c) => !c.paired && c.startTime >= cutoff && (ruledOut === undefined || !ruledOut(c)),
      );
      if (kept.length === 0) this.#byService.delete(service);
      else if (kept.length !== list.length) this.#byService.set(service, kept);
    }
  }

  /**
   * The other half of `call` (a CLIENT/PRODUCER span of trace `traceId` calling
   * `callee`), marked paired; or undefined. Among the candidates in the window, one
   * of the call's name first, then the one starting closest to the call's start plus
   * `offsetUs` (the edge's usual delay and clock skew, `CalleeDirectory.offsetUs`).
   */
  pair(traceId: string, call: SpanDigest, callee: string, offsetUs = 0): RootCandidate | undefined {
    const list = this.#byService.get(callee);
    if (list === undefined) return undefined;
    const kind = call.kind === SpanKind.Producer ? SpanKind.Consumer : SpanKind.Server;
    const from = call.startTime - this.#skewUs;
    const to = call.startTime + call.duration + this.#skewUs;
    let best: RootCandidate | undefined;
    let bestScore = Infinity;
    for (const c of list) {
      if (c.paired || c.kind !== kind || c.traceId === traceId) continue;
      if (c.startTime < from || c.startTime > to) continue;
      const score =
        (c.nameHash === call.nameHash ? 0 : 1e15) +
        Math.abs(c.startTime - call.startTime - offsetUs);
      if (score < bestScore) {
        best = c;
        bestScore = score;
      }
    }
    if (best !== undefined) best.paired = true;
    return best;
  }
}
