import type { Logger } from 'pino';
import type { SkeinConfig, TraceBufferConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import type { Span } from '../model/span.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';
import type {
  Processor,
  ProcessorCounters,
  ProcessorFactory,
  ProcessorName,
  SpanProcessor,
  TraceProcessor,
} from './processor.ts';
import { TraceBuffer, type AssembledTrace } from './trace-buffer.ts';

/** A running processor with its metric children, resolved once (not per batch). */
class Stage<P extends Processor = Processor> implements ProcessorCounters {
  readonly processor: P;
  readonly #in;
  readonly #out;
  readonly #changed;
  readonly #seconds;
  readonly #errors;
  readonly #metrics: ProcessorMetrics;
  #failing = false;
  /** Spans it reported changed (or the batch size, if it threw) since `process` began. */
  batchChanges = 0;

  constructor(processor: P, metrics: ProcessorMetrics) {
    const labels = { processor: processor.name };
    this.processor = processor;
    this.#metrics = metrics;
    this.#in = metrics.spansIn.labels(labels);
    this.#out = metrics.spansOut.labels(labels);
    this.#changed = metrics.spansChanged.labels(labels);
    this.#seconds = metrics.seconds.labels(labels);
    this.#errors = metrics.errors.labels(labels);
  }

  changed(count: number): void {
    if (count > 0) {
      this.#changed.inc(count);
      this.batchChanges += count;
    }
  }

  dropped(reason: string, count: number): void {
    if (count > 0)
      this.#metrics.spansDropped.inc({ processor: this.processor.name, reason }, count);
  }

  counted(spansIn: number, spansOut: number, started: number): void {
    if (spansIn > 0) this.#in.inc(spansIn);
    if (spansOut > 0) this.#out.inc(spansOut);
    this.#seconds.inc((performance.now() - started) / 1000);
  }

  /** Runs `fn`; a throw is a bug: counted, logged once per burst, and `fallback` returned. */
  guard<T>(fn: () => T, fallback: T, logger: Logger, what: number): T {
    try {
      const out = fn();
      this.#failing = false;
      return out;
    } catch (err) {
      // It may have changed spans before it threw.
      this.batchChanges += Math.max(1, what);
      this.#errors.inc();
      if (!this.#failing) {
        this.#failing = true;
        logger.error(
          { err, processor: this.processor.name, spans: what },
          'processor failed; its spans were passed on unchanged (further failures are counted in skein_processor_errors_total until it succeeds again)',
        );
      }
      return fallback;
    }
  }
}

function runSpanStage(stage: Stage<SpanProcessor>, spans: Span[], logger: Logger): Span[] {
  const started = performance.now();
  const out = stage.guard(() => stage.processor.process(spans, stage), spans, logger, spans.length);
  stage.counted(spans.length, out.length, started);
  return out;
}

/** Where spans go once the chain is done with them later than `process` returned. */
export interface ChainSink {
  /** Spans released by the trace buffer (kept by tail sampling), to be written. */
  enqueue(spans: Span[]): void;
  /** Held spans a trace-level processor decided not to keep. */
  dropped(count: number): void;
}

/** What `process` did with a batch. */
export interface ChainResult {
  /** Spans to write now. */
  spans: Span[];
  /** Spans held in the trace buffer until their trace's decision (they come out through the sink). */
  held: number;
  /**
   * True when no processor changed a span of the batch (none reported a change through
   * its counters, none threw): the spans are as they came in, so bytes encoded from
   * them before the chain (the journal's record) still describe them. Absent: they may
   * have changed.
   */
  unchanged?: boolean;
}

/** A configuration compiled for every processor it enables, not yet running. */
interface PreparedChain {
  order: ProcessorName[];
  settings: Map<ProcessorName, unknown>;
  buffer: TraceBufferConfig;
}

export interface ProcessorChainOptions {
  /** Every processor Skein can run, by name. */
  factories: readonly ProcessorFactory[];
  metrics: ProcessorMetrics;
  logger: Logger;
  /** Clock for the trace buffer, ms (tests pass their own). */
  now?: () => number;
}

/**
 * The processors between intake and storage, in configured order
 * (`pipeline.processors.order`, each one's `enabled`).
 *
 * Span-level processors before the first trace-level one run on each batch as it
 * arrives. At the first trace-level processor every span is added to the shared
 * trace buffer (`pipeline.traceBuffer`); when a trace-level processor holds spans
 * (tail sampling) the batch stops there and its spans come out through the sink once
 * their trace is assembled and kept; otherwise the batch goes on at once. Span-level
 * processors listed after the first trace-level one run on what goes on.
 * Traces are per tenant: the buffer keys them by (`Resource.tenant`, trace id), so two
 * tenants sending the same trace id are assembled, decided and released apart.
 *
 * Contract:
 * - `process` is synchronous, on the ingest path.
 * - `prepare(config)` compiles a new configuration without touching the running
 *   one and returns the function that swaps it in; it throws `ConfigError` (and
 *   changes nothing) when the configuration is invalid. This is how hot reload
 *   refuses a bad file and keeps the old settings. Swapping keeps a processor that
 *   stays enabled (its `update` gets the new settings, so its state survives),
 *   creates newly enabled ones and stops the ones no longer enabled.
 * - `drain` releases every buffered trace (reason `shutdown`) through the sink; the
 *   pipeline calls it when it stops taking spans, before its last writes.
 * - `stop` drains, then stops every processor.
 */
export class ProcessorChain {
  readonly #factories: Map<string, ProcessorFactory>;
  readonly #metrics: ProcessorMetrics;
  readonly #logger: Logger;
  readonly #now: (() => number) | undefined;
  #pre: Stage<SpanProcessor>[] = [];
  #traces: Stage<TraceProcessor>[] = [];
  #post: Stage<SpanProcessor>[] = [];
  #holding = false;
  #buffer: TraceBuffer | undefined;
  #bufferConfig: TraceBufferConfig | undefined;
  #sink: ChainSink = { enqueue: () => {}, dropped: () => {} };
  /** Spans of the batch being fed that turned out late (so not held). */
  #lateInFeed = 0;

  constructor(options: ProcessorChainOptions) {
    this.#factories = new Map(options.factories.map((f) => [f.name, f]));
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#now = options.now;
  }

  /** Where released and dropped held spans go (the pipeline). */
  set sink(sink: ChainSink) {
    this.#sink = sink;
  }

  /** The running processors' names, in configured order. */
  get names(): ProcessorName[] {
    return this.#all().map((s) => s.processor.name);
  }

  /** The shared trace buffer, once a trace-level processor runs. */
  get buffer(): TraceBuffer | undefined {
    return this.#buffer;
  }

  /** The running processor called `name`, if any (for wiring and tests). */
  processor(name: ProcessorName): Processor | undefined {
    return this.#all().find((s) => s.processor.name === name)?.processor;
  }

  process(spans: Span[], bytes = 0): ChainResult {
    const logger = this.#logger;
    for (let i = 0; i < this.#pre.length; i++) this.#pre[i].batchChanges = 0;
    for (let i = 0; i < this.#post.length; i++) this.#post[i].batchChanges = 0;
    for (let i = 0; i < this.#pre.length && spans.length > 0; i++) {
      spans = runSpanStage(this.#pre[i], spans, logger);
    }
    const buffer = this.#buffer;
    if (this.#traces.length === 0 || buffer === undefined || spans.length === 0) {
      spans = this.#runPost(spans);
      return { spans, held: 0, unchanged: this.#unchanged() };
    }
    const hold = this.#holding;
    const perSpan = spans.length === 0 ? 0 : bytes / spans.length;
    const now = buffer.now();
    // Observers see the batch before the buffer does, so a span found late is
    // reported to them after they have seen it (completeness un-registers a late root).
    for (const stage of this.#traces) {
      const started = performance.now();
      stage.guard(() => stage.processor.observe(spans), undefined, logger, spans.length);
      stage.counted(spans.length, stage.processor.holdsSpans ? 0 : spans.length, started);
    }
    this.#lateInFeed = 0;
    for (let i = 0; i < spans.length; i++) buffer.add(spans[i], now, hold, perSpan);
    this.#metrics.bufferTraces.set(buffer.traces);
    this.#metrics.bufferSpans.set(buffer.spans);
    this.#metrics.bufferHeldBytes.set(buffer.heldBytes);
    if (hold) return { spans: [], held: spans.length - this.#lateInFeed };
    spans = this.#runPost(spans);
    return { spans, held: 0, unchanged: this.#unchanged() };
  }

  /** Whether no span-level stage changed a span since `process` began. */
  #unchanged(): boolean {
    for (let i = 0; i < this.#pre.length; i++) if (this.#pre[i].batchChanges > 0) return false;
    for (let i = 0; i < this.#post.length; i++) if (this.#post[i].batchChanges > 0) return false;
    return true;
  }

  /**
   * Compiles `config.pipeline.processors` and returns the swap.
   * @throws ConfigError naming the key when the configuration is invalid.
   */
  prepare(config: SkeinConfig): () => Promise<void> {
    const prepared = this.#compile(config);
    return () => this.#swap(prepared);
  }

  /** Releases every buffered trace now (shutdown); released spans go to the sink. */
  drain(): void {
    this.#buffer?.flush();
  }

  async stop(): Promise<void> {
    this.drain();
    const stages = this.#all();
    this.#pre = [];
    this.#traces = [];
    this.#post = [];
    for (const stage of stages) await this.#stopProcessor(stage.processor);
  }

  #all(): Stage[] {
    const all: Stage[] = [...this.#pre, ...this.#traces, ...this.#post];
    return all.sort(
      (a, b) => this.#order.indexOf(a.processor.name) - this.#order.indexOf(b.processor.name),
    );
  }

  #order: ProcessorName[] = [];

  #runPost(spans: Span[]): Span[] {
    for (let i = 0; i < this.#post.length && spans.length > 0; i++) {
      spans = runSpanStage(this.#post[i], spans, this.#logger);
    }
    return spans;
  }

  /** The trace buffer's release: every trace-level processor sees the trace; holders decide. */
  #onRelease = (trace: AssembledTrace): boolean => {
    this.#metrics.bufferReleased.inc({ reason: trace.reason });
    let keep = true;
    for (const stage of this.#traces) {
      const started = performance.now();
      const verdict = stage.guard(
        () => stage.processor.assembled(trace, stage),
        undefined,
        this.#logger,
        trace.spans.length,
      );
      if (stage.processor.holdsSpans) {
        const held = trace.held?.length ?? 0;
        if (verdict === false) keep = false;
        stage.counted(0, verdict === false ? 0 : held, started);
      } else stage.counted(0, 0, started);
    }
    const held = trace.held;
    if (held !== undefined && held.length > 0) {
      if (keep) {
        const out = this.#runPost(held);
        if (out.length > 0) this.#sink.enqueue(out);
        if (out.length < held.length) this.#sink.dropped(held.length - out.length);
      } else this.#sink.dropped(held.length);
    }
    return keep;
  };

  #onLateSpan = (span: Span, kept: boolean): void => {
    this.#metrics.bufferLateSpans.inc();
    for (const stage of this.#traces) {
      stage.guard(() => stage.processor.late(span, kept, stage), undefined, this.#logger, 1);
    }
    if (!this.#holding) return; // the span goes on with its batch
    this.#lateInFeed++;
    if (!kept) {
      this.#sink.dropped(1);
      return;
    }
    const out = this.#runPost([span]);
    if (out.length > 0) this.#sink.enqueue(out);
    else this.#sink.dropped(1);
  };

  #compile(config: SkeinConfig): PreparedChain {
    const section = config.pipeline.processors as unknown as Record<string, unknown>;
    const order: ProcessorName[] = [];
    const settings = new Map<ProcessorName, unknown>();
    const known = [...this.#factories.keys()].join(', ');
    for (const [i, name] of config.pipeline.processors.order.entries()) {
      const factory = this.#factories.get(name);
      if (factory === undefined) {
        throw new ConfigError([
          `pipeline.processors.order[${i}]`,
          `unknown processor "${name}"; known processors: ${known}`,
        ]);
      }
      if (order.includes(factory.name)) {
        throw new ConfigError([
          `pipeline.processors.order[${i}]`,
          `"${name}" is listed twice; a processor runs once`,
        ]);
      }
      const own = section[name] as { enabled?: boolean } | undefined;
      if (own?.enabled === false) continue;
      settings.set(factory.name, factory.compile(config));
      order.push(factory.name);
    }
    const tb = config.pipeline.traceBuffer;
    const positive = (key: keyof TraceBufferConfig, integer: boolean) => {
      const v = tb[key];
      if (!(v > 0) || (integer && !Number.isInteger(v)))
        throw new ConfigError([
          `pipeline.traceBuffer.${key}`,
          `must be a positive ${integer ? 'integer' : 'number'}, got ${v}`,
        ]);
    };
    positive('idleSeconds', false);
    positive('maxTraces', true);
    positive('maxSpans', true);
    positive('maxHeldBytes', true);
    return { order, settings, buffer: { ...tb } };
  }

  async #swap(prepared: PreparedChain): Promise<void> {
    const running = new Map(this.#all().map((s) => [s.processor.name, s]));
    const pre: Stage<SpanProcessor>[] = [];
    const traces: Stage<TraceProcessor>[] = [];
    const post: Stage<SpanProcessor>[] = [];
    for (const name of prepared.order) {
      const settings = prepared.settings.get(name);
      let stage = running.get(name);
      if (stage !== undefined) {
        stage.processor.update(settings);
        running.delete(name);
      } else {
        const factory = this.#factories.get(name) as ProcessorFactory;
        stage = new Stage(factory.create(settings), this.#metrics);
      }
      const p = stage.processor;
      if (p.level === 'trace') traces.push(stage as Stage<TraceProcessor>);
      else if (traces.length === 0) pre.push(stage as Stage<SpanProcessor>);
      else post.push(stage as Stage<SpanProcessor>);
    }
    if (traces.length > 0) this.#ensureBuffer(prepared.buffer);
    for (const stage of traces) stage.processor.bind(this.#buffer as TraceBuffer);
    const wasHolding = this.#holding;
    const holding = traces.some((s) => s.processor.holdsSpans);
    // Spans held for a processor that no longer holds must not stay behind: release them.
    if (wasHolding && !holding) this.drain();
    this.#order = prepared.order;
    this.#pre = pre;
    this.#traces = traces;
    this.#post = post;
    this.#holding = holding;
    for (const stage of running.values()) await this.#stopProcessor(stage.processor);
  }

  #ensureBuffer(config: TraceBufferConfig): void {
    if (this.#buffer === undefined) {
      this.#buffer = new TraceBuffer({
        idleMs: config.idleSeconds * 1000,
        maxTraces: config.maxTraces,
        maxSpans: config.maxSpans,
        maxHeldBytes: config.maxHeldBytes,
        rememberReleased: Math.max(10_000, config.maxTraces),
        onRelease: this.#onRelease,
        onLateSpan: this.#onLateSpan,
        now: this.#now,
      });
      this.#buffer.start();
      this.#bufferConfig = config;
      return;
    }
    const was = this.#bufferConfig as TraceBufferConfig;
    if (was.maxSpans !== config.maxSpans || was.maxTraces !== config.maxTraces) {
      this.#logger.warn(
        'pipeline.traceBuffer.maxSpans and maxTraces apply at the next restart; the running buffer keeps its size',
      );
    }
    this.#buffer.idleMs = config.idleSeconds * 1000;
    this.#buffer.maxHeldBytes = config.maxHeldBytes;
    this.#bufferConfig = { ...config, maxSpans: was.maxSpans, maxTraces: was.maxTraces };
  }

  async #stopProcessor(processor: Processor): Promise<void> {
    try {
      await processor.stop();
    } catch (err) {
      this.#logger.error({ err, processor: processor.name }, 'processor failed to stop cleanly');
    }
  }
}
