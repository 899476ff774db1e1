import {
  samplesAsSubPolicy,
  type HeldTrace,
  type PolicyDecision,
  type TailSamplingPolicy,
} from './policy.ts';

/**
 * Drops a trace explicitly when every sub-policy samples it (the collector's `drop`):
 * `dropped` wins over every other policy's `sampled` (only a debug trace is kept
 * anyway). Otherwise `not_sampled`, which leaves the decision to the other policies.
 */
export class DropPolicy implements TailSamplingPolicy {
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
    return 'dropped';
  }
}
