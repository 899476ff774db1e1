import {
  samplesAsSubPolicy,
  type HeldTrace,
  type PolicyDecision,
  type TailSamplingPolicy,
} from './policy.ts';

/** A sub-policy of a composite with its share of the spans per second. */
export interface CompositeShare {
  policy: TailSamplingPolicy;
  /** Spans per second this sub-policy may sample. */
  spansPerSecond: number;
}

/**
 * Sub-policies in a fixed order, each with a share of `maxTotalSpansPerSecond` (the
 * collector's `composite`): the first sub-policy that samples a trace decides. The
 * trace is sampled when its spans fit both in that sub-policy's share and in the
 * total for the current second (of `nowMs`); otherwise it is not sampled (later
 * sub-policies are not asked, as in the collector) and nothing is spent, so a smaller
 * trace may still fit later in the second. Budgets restart every second.
 */
export class CompositePolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #policies: readonly TailSamplingPolicy[];
  readonly #shares: Float64Array;
  readonly #spent: Float64Array;
  readonly #maxTotal: number;
  #totalSpent = 0;
  #second = -1;

  constructor(name: string, maxTotalSpansPerSecond: number, shares: readonly CompositeShare[]) {
    this.name = name;
    this.#maxTotal = maxTotalSpansPerSecond;
    this.#policies = shares.map((share) => share.policy);
    this.#shares = Float64Array.from(shares, (share) => share.spansPerSecond);
    this.#spent = new Float64Array(shares.length);
  }

  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#spent.fill(0);
      this.#totalSpent = 0;
    }
    const policies = this.#policies;
    const n = trace.spans.length;
    for (let i = 0; i < policies.length; i++) {
      if (!samplesAsSubPolicy(policies[i].evaluate(trace, nowMs))) continue;
      const spent = this.#spent[i] + n;
      const total = this.#totalSpent + n;
      if (spent > this.#shares[i] || total > this.#maxTotal) return 'not_sampled';
      this.#spent[i] = spent;
      this.#totalSpent = total;
      return 'sampled';
    }
    return 'not_sampled';
  }
}
