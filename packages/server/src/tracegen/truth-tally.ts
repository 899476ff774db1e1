import type { TraceTruth, TruthBreak } from './trace-truth.ts';

/** Summed truth, as shares: what Skein's completeness numbers should say about the same traces. */
export interface TruthRates {
  /** Traces emitted (fragments included) and how many of them are complete. */
  traces: number;
  complete: number;
  /** complete / traces (1 when there are no traces). */
  completeness: number;
  /** Per root service, sorted by service. */
  roots: { service: string; traces: number; complete: number; completeness: number }[];
  /** Per caller>callee edge of judged calls, sorted by caller then callee. */
  edges: {
    caller: string;
    callee: string;
    calls: number;
    answered: number;
    answeredShare: number;
  }[];
  /** Per service: spans sent in time and of them in complete traces. */
  services: { service: string; spans: number; spansInComplete: number; share: number }[];
  /** Per (cause, service, peer), most frequent first. */
  breaks: { cause: TruthBreak['cause']; service: string; peer: string; count: number }[];
  /** Per cause. */
  causes: Partial<Record<TruthBreak['cause'], number>>;
}

function share(part: number, whole: number): number {
  return whole === 0 ? 1 : part / whole;
}

/** Sums the truths of many planned traces. */
export class TruthTally {
  traces = 0;
  complete = 0;
  private readonly roots = new Map<string, { traces: number; complete: number }>();
  private readonly edges = new Map<string, { calls: number; answered: number }>();
  private readonly services = new Map<string, { spans: number; spansInComplete: number }>();
  private readonly breaks = new Map<string, number>();

  add(truth: TraceTruth): void {
    for (const t of truth.traces) {
      this.traces++;
      if (t.complete) this.complete++;
      const root = this.roots.get(t.rootService) ?? { traces: 0, complete: 0 };
      root.traces++;
      if (t.complete) root.complete++;
      this.roots.set(t.rootService, root);
      for (const [service, n] of Object.entries(t.spansByService)) {
        const s = this.services.get(service) ?? { spans: 0, spansInComplete: 0 };
        s.spans += n;
        if (t.complete) s.spansInComplete += n;
        this.services.set(service, s);
      }
    }
    for (const c of truth.calls) {
      const key = `${c.caller}>${c.callee}`;
      const e = this.edges.get(key) ?? { calls: 0, answered: 0 };
      e.calls++;
      if (c.answered) e.answered++;
      this.edges.set(key, e);
    }
    for (const b of truth.breaks) {
      const key = `${b.cause}|${b.service}|${b.peer}`;
      this.breaks.set(key, (this.breaks.get(key) ?? 0) + 1);
    }
  }

  /** The totals as shares; a fresh object each call. */
  rates(): TruthRates {
    const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const causes: TruthRates['causes'] = {};
    const breaks: TruthRates['breaks'] = [];
    for (const [key, count] of this.breaks) {
      const [cause, service, peer] = key.split('|') as [TruthBreak['cause'], string, string];
      breaks.push({ cause, service, peer, count });
      causes[cause] = (causes[cause] ?? 0) + count;
    }
    breaks.sort((a, b) => b.count - a.count || (a.cause < b.cause ? -1 : 1));
    return {
      traces: this.traces,
      complete: this.complete,
      completeness: share(this.complete, this.traces),
      roots: byKey(this.roots).map(([service, r]) => ({
        service,
        ...r,
        completeness: share(r.complete, r.traces),
      })),
      edges: byKey(this.edges).map(([key, e]) => {
        const [caller, callee] = key.split('>');
        return { caller, callee, ...e, answeredShare: share(e.answered, e.calls) };
      }),
      services: byKey(this.services).map(([service, s]) => ({
        service,
        ...s,
        share: share(s.spansInComplete, s.spans),
      })),
      breaks,
      causes,
    };
  }
}
