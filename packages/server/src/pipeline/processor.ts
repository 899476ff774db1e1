import type { SkeinConfig } from '../config/config.ts';
import type { Span } from '../model/span.ts';

/** The processors Skein has, by their key under `pipeline.processors` in the config. */
export type ProcessorName = 'redaction' | 'spanMetrics' | 'completeness';

/**
 * What a processor reports while it works on a batch; the chain turns it into the
 * `skein_processor_*` metrics. One object per processor, reused for every batch.
 */
export interface ProcessorCounters {
  /** `count` spans had something changed (redacted, renamed, ...). */
  changed(count: number): void;
  /** `count` spans were dropped on purpose; `reason` is a short snake_case label. */
  dropped(reason: string, count: number): void;
}

/**
 * A processor that sees each accepted span once, in the batches receivers hand over,
 * synchronously on the ingest path (redaction, span metrics).
 *
 * Contract:
 * - `process` may modify the spans of the batch in place, including their shared
 *   `resource` and `scope` objects (every span of a batch that shares one sees the
 *   change). It returns the spans to pass on: `spans` itself when it dropped none,
 *   otherwise a new array of the kept spans (and reports each drop with a reason).
 * - It never throws because of span content: odd data is passed on or counted as
 *   dropped. A throw is a bug; the chain logs it and passes the batch on unchanged.
 * - It runs on the hot path: no per-span closures or throwaway objects where a
 *   reused one will do; a span it has nothing to do with costs near nothing.
 * - `update` swaps in new settings (hot reload) between two batches; the settings
 *   were already compiled, so it cannot fail. State that the new settings keep
 *   meaning for (aggregates, caches) is kept.
 * - `stop` is called once when the pipeline has stopped taking spans; it finishes
 *   whatever the processor owes (span metrics writes its open aggregates).
 */
export interface SpanProcessor<Settings = unknown> {
  readonly name: ProcessorName;
  process(spans: Span[], counters: ProcessorCounters): Span[];
  update(settings: Settings): void;
  stop(): Promise<void>;
}

/**
 * How the chain builds one kind of processor.
 *
 * - `compile` validates the processor's config section and turns it into settings
 *   ready to run (rules compiled, lists turned into sets). It is pure and may be
 *   called for a config that is then not used (a refused hot reload).
 *   @throws ConfigError naming the key (`pipeline.processors.<name>.<key>`) and what it accepts.
 * - `create` makes a processor from compiled settings. What else it needs (a logger,
 *   a store) the factory was given when it was made.
 */
export interface ProcessorFactory<Settings = unknown> {
  readonly name: ProcessorName;
  compile(config: SkeinConfig): Settings;
  create(settings: Settings): SpanProcessor<Settings>;
}
