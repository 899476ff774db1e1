import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

/**
 * Samples a trace with at least `minSpans` and at most `maxSpans` spans (both
 * inclusive; `maxSpans` Infinity: no upper bound).
 */
export class SpanCountPolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #min: number;
  readonly #max: number;

  constructor(name: string, minSpans: number, maxSpans: number) {
    this.name = name;
    this.#min = minSpans;
    this.#max = maxSpans;
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    const n = trace.spans.length;
    return n >= this.#min && n <= this.#max ? 'sampled' : 'not_sampled';
  }
}
