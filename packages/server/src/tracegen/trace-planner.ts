import { injectBreaks } from './break-injection.ts';
import type { BreakSpec } from './break-spec.ts';
import { createRandom, planTrace, type PlannedSpan } from './trace-plan.ts';
import type { TraceTruth } from './trace-truth.ts';

/** One planned trace with what was injected into it. */
export interface TracePlan {
  spans: PlannedSpan[];
  truth: TraceTruth;
}

export interface TracePlannerOptions {
  seed: number;
  /** Break injection rules (none: every trace is whole, as without this planner). */
  breaks?: readonly BreakSpec[];
  /** Clock skew per service in ms: every span of that service starts this much later (or earlier). */
  skewMs?: Readonly<Record<string, number>>;
}

/**
 * Plans trace after trace, deterministic per seed. The shapes come from one PRNG
 * stream (the same traces `planTrace(createRandom(seed))` gives, so a run without
 * breaks is unchanged) and the break draws from a second stream derived from the
 * seed, so adding a rule does not reshape the traces.
 */
export class TracePlanner {
  private readonly shapes: () => number;
  private readonly draws: () => number;
  private readonly breaks: readonly BreakSpec[];
  private readonly skewUs: [string, number][];

  constructor(opts: TracePlannerOptions) {
    this.shapes = createRandom(opts.seed);
    this.draws = createRandom((opts.seed ^ 0x9e3779b9) >>> 0);
    this.breaks = opts.breaks ?? [];
    this.skewUs = Object.entries(opts.skewMs ?? {})
      .filter(([, ms]) => ms !== 0)
      .map(([service, ms]) => [service, Math.round(ms * 1000)]);
  }

  next(): TracePlan {
    const spans = planTrace(this.shapes);
    const truth = injectBreaks(spans, this.breaks, this.draws);
    for (const [service, us] of this.skewUs) {
      for (const s of spans) if (s.service === service) s.start += us;
    }
    return { spans, truth };
  }
}
