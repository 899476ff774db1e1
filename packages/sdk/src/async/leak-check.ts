import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A span started and never ended, as {@link LeakCheck.report} lists it. */
export interface LeakedSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** How long it had been open at the report, ms. */
  openMs: number;
}

/**
 * Development-mode leak check (`start({ leakCheck: true })`): remembers every span
 * started and forgets it when it ends; `report()` (called by the kit's shutdown)
 * writes the still-open ones to stderr and returns them. Costs one Map entry per
 * open span, so it is off by default.
 */
export class LeakCheck implements SpanProcessor {
  readonly #open = new Map<string, Span>();

  onStart(span: Span, _parentContext: Context): void {
    this.#open.set(span.spanContext().spanId, span);
  }

  onEnd(span: ReadableSpan): void {
    this.#open.delete(span.spanContext().spanId);
  }

  /** The spans open now (oldest first); written to stderr when there are any. */
  report(): LeakedSpan[] {
    const now = Date.now();
    const leaked = [...this.#open.values()].map((s) => ({
      name: s.name,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      openMs: now - (s.startTime[0] * 1000 + s.startTime[1] / 1e6),
    }));
    if (leaked.length > 0)
      process.stderr.write(
        `@skein/node leak check: ${leaked.length} span(s) started and never ended:\n${leaked
          .map(
            (l) =>
              `  ${l.name} trace=${l.traceId} span=${l.spanId} open ${Math.round(l.openMs)} ms`,
          )
          .join('\n')}\n`,
      );
    return leaked;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
