import {
  samplesAsSubPolicy,
  type HeldTrace,
  type PolicyDecision,
  type TailSamplingPolicy,
} from './policy.ts';

/**
 * Samples a trace when every sub-policy samples it. Sub-policies are evaluated in order
 * and evaluation stops at the first that does not sample, so a rate-limiting
 * sub-policy placed last only spends budget on traces the others let through.
 */
export class AndPolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #policies: readonly TailSamplingPolicy[];

  constructor(name: string, policies: readonly TailSamplingPolicy[]) {
    this.name = name;
    this.#policies = policies;
  }

  evaluate(trace: HeldTrace, nowMs: number): PolicyDecision {
    const policies = this.#policies;
    for (let i = 0; i < policies.length; i++) {
      if (!samplesAsSubPolicy(policies[i].evaluate(trace, nowMs))) return 'not_sampled';
    }
    return 'sampled';
  }
}
