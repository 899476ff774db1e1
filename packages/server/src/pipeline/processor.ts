import type { SkeinConfig } from '../config/config.ts';
import type { Span } from '../model/span.ts';
import type { AssembledTrace, TraceBuffer } from './trace-buffer.ts';

/** The processors Skein has, by their key under `pipeline.processors` in the config. */
export type ProcessorName =
  'redaction' | 'spanMetrics' | 'completeness' | 'dependencies' | 'tailSampling';

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
 * - It reports every span it changed through `counters.changed`, in the same call: when
 *   no processor reported a change, the pipeline writes the bytes the journal recorded
 *   before the chain, so a change left unreported would not be stored.
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
  readonly level: 'span';
  process(spans: Span[], counters: ProcessorCounters): Span[];
  update(settings: Settings): void;
  stop(): Promise<void>;
}

/**
 * A processor that needs whole traces (completeness, tail sampling). The chain feeds
 * every span once into the shared trace buffer (`trace-buffer.ts`) at the position of
 * the first trace-level processor in `pipeline.processors.order`; span-level
 * processors listed after it run on the spans that come out.
 *
 * Contract:
 * - `holdsSpans`: when true, spans wait in the buffer until the trace is assembled and
 *   this processor decided which go on (tail sampling); when false the spans flow on
 *   at once and the processor only sees digests of them (completeness).
 * - `observe` sees each batch just before it enters the buffer (cheap bookkeeping; it
 *   must neither keep nor change the spans); `late` for a span of the batch comes after.
 * - `assembled` is called once per trace, in release order; a holding processor
 *   returns whether the trace's held spans go on, the others return undefined.
 *   Every processor's `assembled` sees the trace before the held spans move on.
 * - `late` is called for a span whose trace was already assembled; `kept` is the
 *   decision the holding processors made for that trace (true when none holds).
 * - `update` / `stop` as for `SpanProcessor`; the chain releases every buffered trace
 *   (reason `shutdown`) before it stops the processors.
 */
export interface TraceProcessor<Settings = unknown> {
  readonly name: ProcessorName;
  readonly level: 'trace';
  readonly holdsSpans: boolean;
  /** Called by the chain with the shared trace buffer before the first batch (and again if it changes). */
  bind(buffer: TraceBuffer): void;
  observe(spans: readonly Span[]): void;
  assembled(trace: AssembledTrace, counters: ProcessorCounters): boolean | undefined;
  late(span: Span, kept: boolean, counters: ProcessorCounters): void;
  update(settings: Settings): void;
  stop(): Promise<void>;
}

/** Either kind of processor. */
export type Processor<Settings = unknown> = SpanProcessor<Settings> | TraceProcessor<Settings>;

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
export interface ProcessorFactory<
  Settings = unknown,
  P extends Processor<Settings> = Processor<Settings>,
> {
  readonly name: ProcessorName;
  compile(config: SkeinConfig): Settings;
  create(settings: Settings): P;
}
