import type { BreakCause } from '../storage/completeness-writer.ts';

/**
 * What a planned trace really is, from the break injection's own bookkeeping (never
 * from classifying the result), in the terms of the completeness spec
 * (`/work/notes/completeness-spec.md`, `docs/completeness.md` once written):
 * one plan is emitted as a main trace plus one trace per injected split/async fragment.
 */
export interface TraceTruth {
  /** Index 0: the main trace; k >= 1: fragment k (its root service is the callee of the broken call). */
  traces: TruthTrace[];
  /** One entry per judged call (a CLIENT/PRODUCER span sent in time whose callee is an instrumented service). */
  calls: TruthCall[];
  /** One entry per break, `late_span` included. */
  breaks: TruthBreak[];
}

export interface TruthTrace {
  rootService: string;
  /** No incomplete cause (late spans do not count). */
  complete: boolean;
  /** Spans sent in time (neither dropped nor late), per service. */
  spansByService: Record<string, number>;
}

export interface TruthCall {
  caller: string;
  callee: string;
  /** The callee's span is in the same trace as the call. */
  answered: boolean;
}

/**
 * `service`/`peer` as the spec defines them: for calls the caller / callee; for an
 * orphan the orphan's service / ''; for a fragment the callee / the caller; for a late
 * span the span's service / ''.
 */
export interface TruthBreak {
  cause: Extract<
    BreakCause,
    'split_trace' | 'async_break' | 'unanswered_call' | 'orphan' | 'fragment' | 'late_span'
  >;
  service: string;
  peer: string;
  /** Which trace of the plan the break is counted in (index into `TraceTruth.traces`). */
  trace: number;
}
