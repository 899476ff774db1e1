import type { Logger } from 'pino';
import type { Span } from '../../../model/span.ts';
import type { DependencyWriter } from '../../../storage/dependency-writer.ts';
import type { ProcessorCounters, TraceProcessor } from '../../processor.ts';
import type { AssembledTrace, TraceBuffer } from '../../trace-buffer.ts';
import { DependencyAggregates, minuteOf } from './dependency-aggregates.ts';
import type { DependenciesMetrics } from './dependencies-metrics.ts';
import type { DependenciesSettings } from './dependencies-settings.ts';
import { countServiceEdges } from './service-edges.ts';

export interface DependenciesProcessorDeps {
  logger: Logger;
  metrics: DependenciesMetrics;
  /** Where per-minute edges go; without one nothing is kept. */
  writer?: DependencyWriter;
  /** Wall clock, ms (tests pass their own). */
  now?: () => number;
}

const MINUTE_US = 60_000_000;
/** Beyond the idle time, how long a span may take to be assembled (the buffer ticks at most every second). */
const ASSEMBLY_SLACK_MS = 2_000;

/** Aggregate rows kept while the store refuses writes; beyond it new ones are not restored (logged). */
const MAX_PENDING_ROWS = 200_000;

/**
 * Service dependencies kept on write (issue 14): a trace-level processor that never
 * holds spans. Each assembled trace's cross-service parent → child spans
 * (`countServiceEdges`) are counted per minute of the child's start, with the minutes
 * the trace's spans fall in, and flushed to the store every `flushIntervalMs` and on
 * stop. `/api/dependencies` then sums a window's minutes instead of joining spans.
 *
 * Each flush also vouches for the minutes (of wall-clock time, from the first whole
 * minute after this processor started) whose spans have all been assembled by now:
 * a minute that ended more than the idle time (plus slack) ago. The store reads only
 * those minutes from the aggregates and joins the spans for every other one, so data
 * written before the processor ran, or while it was off, is still counted. A span
 * that starts in a vouched minute and arrives later (a long span, a backfill) adds
 * to that minute when its trace is assembled.
 *
 * Edges are counted per tenant (the assembled trace's): each row carries it, and a
 * trace holds only its tenant's spans (the buffer keys traces by tenant and trace id),
 * so no edge joins two tenants' spans.
 *
 * What it does not see: a span arriving after its trace was assembled (a late span;
 * its parent's service is no longer known), so its edge is not counted.
 */
export class DependenciesProcessor implements TraceProcessor<DependenciesSettings> {
  readonly name = 'dependencies' as const;
  readonly level = 'trace' as const;
  readonly holdsSpans = false;
  readonly #deps: DependenciesProcessorDeps;
  readonly #aggregates = new DependencyAggregates();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #failing = false;
  #settings: DependenciesSettings;
  readonly #now: () => number;
  /** The next minute (µs) to vouch for. */
  #vouchFrom: number;
  /** Spans skipped because the same span was in the trace twice. */
  duplicates = 0;

  constructor(settings: DependenciesSettings, deps: DependenciesProcessorDeps) {
    this.#deps = deps;
    this.#settings = settings;
    this.#now = deps.now ?? Date.now;
    // Spans of the minute this started in may have been written without it.
    this.#vouchFrom = minuteOf(this.#now() * 1000) + MINUTE_US;
    this.#startTimer(settings.flushIntervalMs);
  }

  bind(buffer: TraceBuffer): void {
    void buffer;
  }

  observe(spans: readonly Span[]): void {
    void spans;
  }

  assembled(trace: AssembledTrace, counters: ProcessorCounters): undefined {
    void counters;
    this.#aggregates.tenant = trace.tenant;
    this.duplicates += countServiceEdges(trace.spans, this.#aggregates);
    return undefined;
  }

  late(span: Span, kept: boolean, counters: ProcessorCounters): void {
    void span;
    void kept;
    void counters;
  }

  update(settings: DependenciesSettings): void {
    this.#settings = settings;
    this.#startTimer(settings.flushIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Writes what was counted since the last flush (one flush at a time). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush());
    return this.#flushing;
  }

  #startTimer(ms: number): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.flush(), ms);
    this.#timer.unref();
  }

  async #flush(): Promise<void> {
    const writer = this.#deps.writer;
    if (writer === undefined) return;
    const settled = minuteOf((this.#now() - this.#settings.idleMs - ASSEMBLY_SLACK_MS) * 1000);
    for (; this.#vouchFrom < settled; this.#vouchFrom += MINUTE_US)
      this.#aggregates.counted(this.#vouchFrom);
    if (this.#aggregates.size === 0) return;
    const delta = this.#aggregates.take();
    let calls = 0;
    for (const e of delta.edges) calls += e.calls;
    try {
      await writer.writeDependencies(delta);
      this.#deps.metrics.edges.inc(calls);
      if (this.#failing) this.#deps.logger.warn('dependency edges are written again');
      this.#failing = false;
    } catch (err) {
      this.#deps.metrics.flushFailures.inc();
      if (!this.#failing)
        this.#deps.logger.error(
          { err },
          'writing dependency edges failed; keeping them for the next flush',
        );
      this.#failing = true;
      if (this.#aggregates.size < MAX_PENDING_ROWS) this.#aggregates.restore(delta);
      else
        this.#deps.logger.error(
          { rows: delta.edges.length },
          'dropped dependency edges: the store kept failing and too many rows are waiting',
        );
    }
  }
}
