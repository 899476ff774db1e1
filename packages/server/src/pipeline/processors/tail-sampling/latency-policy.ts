import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

/**
 * Samples a trace whose duration, latest span end minus earliest span start (what
 * happened in between does not matter), in whole milliseconds (truncated, as the
 * collector does), is at least `thresholdMs` and, when `upperThresholdMs` > 0, at most
 * that. Both bounds inclusive (the collector excludes `thresholdMs` itself when an
 * upper bound is set; Skein does not).
 */
export class LatencyPolicy implements TailSamplingPolicy {
  readonly name: string;
  readonly #thresholdMs: number;
  readonly #upperThresholdMs: number;

  /** `upperThresholdMs` 0: no upper bound. */
  constructor(name: string, thresholdMs: number, upperThresholdMs: number) {
    this.name = name;
    this.#thresholdMs = thresholdMs;
    this.#upperThresholdMs = upperThresholdMs;
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    const spans = trace.spans;
    if (spans.length === 0) return 'not_sampled';
    let start = Infinity;
    let end = -Infinity;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      if (span.startTime < start) start = span.startTime;
      const spanEnd = span.startTime + span.duration;
      if (spanEnd > end) end = spanEnd;
    }
    const ms = Math.floor((end - start) / 1000);
    if (ms < this.#thresholdMs) return 'not_sampled';
    if (this.#upperThresholdMs > 0 && ms > this.#upperThresholdMs) return 'not_sampled';
    return 'sampled';
  }
}
