import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

/** Tenants' budgets kept before those not used in the current second are swept. */
const SWEEP_AT = 10_000;

/** One tenant's budget in the current second. */
interface Budget {
  second: number;
  spent: number;
}

/**
 * Samples traces while the spans sampled in the current second (of `nowMs`) plus this
 * trace's spans stay within `spansPerSecond` (inclusive): a budget per wall-clock second
 * shared by all traces, spent by the traces this policy samples (the collector's
 * original `rate_limiting`). A trace larger than the whole budget never passes; a
 * trace refused does not spend budget, so a smaller one later in the second may pass.
 * Each tenant has its own budget: one tenant's traffic never uses up another's.
 */
export class RateLimitingPolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #spansPerSecond: number;
  /** Budgets by tenant (one entry per tenant seen; a few numbers each). */
  readonly #budgets = new Map<string, Budget>();
  /** The budget used last (traces of one tenant usually come in runs). */
  #last: Budget = { second: -1, spent: 0 };
  #lastTenant: string | undefined;

  constructor(name: string, spansPerSecond: number) {
    this.name = name;
    this.#spansPerSecond = spansPerSecond;
  }

  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision {
    const second = Math.floor(nowMs / 1000);
    let budget = this.#last;
    if (trace.tenant !== this.#lastTenant) {
      budget = this.#budgets.get(trace.tenant) as Budget;
      if (budget === undefined) {
        if (this.#budgets.size >= SWEEP_AT) {
          // A budget not spent in this second holds nothing worth keeping.
          for (const [tenant, b] of this.#budgets)
            if (b.second !== second) this.#budgets.delete(tenant);
        }
        budget = { second: -1, spent: 0 };
        this.#budgets.set(trace.tenant, budget);
      }
      this.#last = budget;
      this.#lastTenant = trace.tenant;
    }
    if (second !== budget.second) {
      budget.second = second;
      budget.spent = 0;
    }
    const spent = budget.spent + trace.spans.length;
    if (spent > this.#spansPerSecond) return 'not_sampled';
    budget.spent = spent;
    return 'sampled';
  }
}
