import type { Span as ApiSpan } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

interface Held {
  /** In-time spans of the trace not yet exported (or failed). */
  remaining: number;
  late: { span: ApiSpan; endMs: number }[];
}

/**
 * Holds late spans back until the rest of their trace was exported, then ends them
 * (which hands them to the SDK's exporter) `delayMs` later, so they arrive after a
 * receiver assembled the trace. Fed by the exporter: `settled` with every batch it
 * exported or failed to export.
 */
export class LateSpanHolder {
  private readonly held = new Map<string, Held>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiting = 0;
  private onDrained: (() => void) | null = null;

  constructor(private readonly delayMs: number) {}

  /** Late spans not sent yet. */
  get pending(): number {
    return this.waiting;
  }

  /**
   * Holds `late` spans of `traceId` until `inTime` other spans of that trace were settled.
   * Call before ending those spans.
   */
  hold(traceId: string, inTime: number, late: { span: ApiSpan; endMs: number }[]): void {
    if (late.length === 0) return;
    this.waiting += late.length;
    const entry = this.held.get(traceId);
    if (entry !== undefined) {
      entry.remaining += inTime;
      entry.late.push(...late);
    } else {
      this.held.set(traceId, { remaining: inTime, late });
    }
    if (inTime === 0) this.schedule(traceId);
  }

  /** The exporter settled `spans` (exported or failed). */
  settled(spans: readonly ReadableSpan[]): void {
    if (this.held.size === 0) return;
    for (const s of spans) {
      const traceId = s.spanContext().traceId;
      const entry = this.held.get(traceId);
      if (entry === undefined || entry.remaining === 0) continue;
      entry.remaining--;
      if (entry.remaining === 0) this.schedule(traceId);
    }
  }

  /** Ends every held span now (on abort). */
  releaseAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const traceId of [...this.held.keys()]) this.release(traceId);
  }

  /** Resolves once every held span was ended. */
  drained(): Promise<void> {
    if (this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onDrained = resolve;
    });
  }

  private schedule(traceId: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.release(traceId);
    }, this.delayMs);
    this.timers.add(timer);
  }

  private release(traceId: string): void {
    const entry = this.held.get(traceId);
    if (entry === undefined) return;
    this.held.delete(traceId);
    for (const { span, endMs } of entry.late) span.end(endMs);
    this.waiting -= entry.late.length;
    if (this.waiting === 0 && this.onDrained !== null) {
      const done = this.onDrained;
      this.onDrained = null;
      done();
    }
  }
}
