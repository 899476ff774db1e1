import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

/**
 * Samples traces while the spans sampled in the current second (of `nowMs`) plus this
 * trace's spans stay within `spansPerSecond` (inclusive): a budget per wall-clock second
 * shared by all traces, spent by the traces this policy samples (the collector's
 * original `rate_limiting`). A trace larger than the whole budget never passes; a
 * trace refused does not spend budget, so a smaller one later in the second may pass.
 */
export class RateLimitingPolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #spansPerSecond: number;
  #second = -1;
  #spent = 0;

  constructor(name: string, spansPerSecond: number) {
    this.name = name;
    this.#spansPerSecond = spansPerSecond;
  }

  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#spent = 0;
    }
    const spent = this.#spent + trace.spans.length;
    if (spent > this.#spansPerSecond) return 'not_sampled';
    this.#spent = spent;
    return 'sampled';
  }
}
