import type { PolicyDecision, TailSamplingPolicy } from './policy.ts';

/** Samples every trace (the collector's `always_sample`). */
export class AlwaysSamplePolicy implements TailSamplingPolicy {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  evaluate(): PolicyDecision {
    return 'sampled';
  }
}
