import type { StatusCode } from '../../../model/span.ts';
import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

/** Samples a trace when any of its spans has one of the given status codes. */
export class StatusCodePolicy implements TailSamplingPolicy {
  readonly name: string;
  /** Indexed by status code (0 unset, 1 ok, 2 error). */
  readonly #wanted: readonly boolean[];

  constructor(name: string, codes: readonly StatusCode[]) {
    this.name = name;
    const wanted = [false, false, false];
    for (const code of codes) wanted[code] = true;
    this.#wanted = wanted;
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    const spans = trace.spans;
    const wanted = this.#wanted;
    for (let i = 0; i < spans.length; i++) if (wanted[spans[i].statusCode]) return 'sampled';
    return 'not_sampled';
  }
}
