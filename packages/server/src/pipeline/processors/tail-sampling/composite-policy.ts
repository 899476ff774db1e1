import {
  samplesAsSubPolicy,
  type HeldTrace,
  type PolicyDecision,
  type TailSamplingPolicy,
} from './policy.ts';

/** Tenants' budgets kept before those not used in the current second are swept. */
const SWEEP_AT = 10_000;

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
 * trace may still fit later in the second. Budgets restart every second. Each tenant
 * has its own budgets: one tenant's traffic never spends another's.
 */
export class CompositePolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #policies: readonly TailSamplingPolicy[];
  readonly #shares: Float64Array;
  readonly #maxTotal: number;
  /** Budgets by tenant (one entry per tenant seen). */
  readonly #budgets = new Map<string, CompositeBudget>();
  /** The budget used last (traces of one tenant usually come in runs). */
  #last: CompositeBudget;
  #lastTenant: string | undefined;

  constructor(name: string, maxTotalSpansPerSecond: number, shares: readonly CompositeShare[]) {
    this.name = name;
    this.#maxTotal = maxTotalSpansPerSecond;
    this.#policies = shares.map((share) => share.policy);
    this.#shares = Float64Array.from(shares, (share) => share.spansPerSecond);
    this.#last = new CompositeBudget(shares.length);
  }

  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision {
    const second = Math.floor(nowMs / 1000);
    let budget = this.#last;
    if (trace.tenant !== this.#lastTenant) {
      budget = this.#budgets.get(trace.tenant) as CompositeBudget;
      if (budget === undefined) {
        if (this.#budgets.size >= SWEEP_AT) {
          // A budget not spent in this second holds nothing worth keeping.
          for (const [tenant, b] of this.#budgets)
            if (b.second !== second) this.#budgets.delete(tenant);
        }
        budget = new CompositeBudget(this.#shares.length);
        this.#budgets.set(trace.tenant, budget);
      }
      this.#last = budget;
      this.#lastTenant = trace.tenant;
    }
    if (second !== budget.second) {
      budget.second = second;
      budget.spent.fill(0);
      budget.totalSpent = 0;
    }
    const policies = this.#policies;
    const n = trace.spans.length;
    for (let i = 0; i < policies.length; i++) {
      if (!samplesAsSubPolicy(policies[i].evaluate(trace, nowMs))) continue;
      const spent = budget.spent[i] + n;
      const total = budget.totalSpent + n;
      if (spent > this.#shares[i] || total > this.#maxTotal) return 'not_sampled';
      budget.spent[i] = spent;
      budget.totalSpent = total;
      return 'sampled';
    }
    return 'not_sampled';
  }
}

/** One tenant's spending in the current second: per sub-policy and in total. */
class CompositeBudget {
  second = -1;
  totalSpent = 0;
  readonly spent: Float64Array;
  constructor(policies: number) {
    this.spent = new Float64Array(policies);
  }
}
