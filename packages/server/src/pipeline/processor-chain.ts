import type { Logger } from 'pino';
import type { SkeinConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import type { Span } from '../model/span.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';
import type {
  ProcessorCounters,
  ProcessorFactory,
  ProcessorName,
  SpanProcessor,
} from './processor.ts';

/** A running processor with its metric children, resolved once (not per batch). */
class Stage implements ProcessorCounters {
  readonly processor: SpanProcessor;
  readonly #in;
  readonly #out;
  readonly #changed;
  readonly #seconds;
  readonly #errors;
  readonly #metrics: ProcessorMetrics;
  #failing = false;

  constructor(processor: SpanProcessor, metrics: ProcessorMetrics) {
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
    if (count > 0) this.#changed.inc(count);
  }

  dropped(reason: string, count: number): void {
    if (count > 0)
      this.#metrics.spansDropped.inc({ processor: this.processor.name, reason }, count);
  }

  run(spans: Span[], logger: Logger): Span[] {
    this.#in.inc(spans.length);
    const started = performance.now();
    let out: Span[];
    try {
      out = this.processor.process(spans, this);
      this.#failing = false;
    } catch (err) {
      this.#errors.inc();
      if (!this.#failing) {
        this.#failing = true;
        logger.error(
          { err, processor: this.processor.name, spans: spans.length },
          'processor failed on a batch; passed it on unchanged (further failures are counted in skein_processor_errors_total until it succeeds again)',
        );
      }
      out = spans;
    }
    this.#seconds.inc((performance.now() - started) / 1000);
    this.#out.inc(out.length);
    return out;
  }
}

/** A configuration compiled for every processor it enables, not yet running. */
interface PreparedChain {
  order: ProcessorName[];
  settings: Map<ProcessorName, unknown>;
}

export interface ProcessorChainOptions {
  /** Every processor Skein can run, by name. */
  factories: readonly ProcessorFactory[];
  metrics: ProcessorMetrics;
  logger: Logger;
}

/**
 * The processors between intake and storage, in configured order
 * (`pipeline.processors.order`, each one's `enabled`).
 *
 * Contract:
 * - `process` runs each processor over the batch in order and returns the spans
 *   that survive; synchronous, on the ingest path.
 * - `prepare(config)` compiles a new configuration without touching the running
 *   one and returns the function that swaps it in; it throws `ConfigError` (and
 *   changes nothing) when the configuration is invalid. This is how hot reload
 *   refuses a bad file and keeps the old settings. Swapping keeps a processor that
 *   stays enabled (its `update` gets the new settings, so its state survives),
 *   creates newly enabled ones and stops the ones no longer enabled.
 * - `stop` stops every processor (after the pipeline stopped feeding it).
 */
export class ProcessorChain {
  readonly #factories: Map<string, ProcessorFactory>;
  readonly #metrics: ProcessorMetrics;
  readonly #logger: Logger;
  #stages: Stage[] = [];

  constructor(options: ProcessorChainOptions) {
    this.#factories = new Map(options.factories.map((f) => [f.name, f]));
    this.#metrics = options.metrics;
    this.#logger = options.logger;
  }

  /** The running processors' names, in order. */
  get names(): ProcessorName[] {
    return this.#stages.map((s) => s.processor.name);
  }

  /** The running processor called `name`, if any (for wiring and tests). */
  processor(name: ProcessorName): SpanProcessor | undefined {
    return this.#stages.find((s) => s.processor.name === name)?.processor;
  }

  process(spans: Span[]): Span[] {
    const stages = this.#stages;
    for (let i = 0; i < stages.length && spans.length > 0; i++) {
      spans = stages[i].run(spans, this.#logger);
    }
    return spans;
  }

  /**
   * Compiles `config.pipeline.processors` and returns the swap.
   * @throws ConfigError naming the key when the configuration is invalid.
   */
  prepare(config: SkeinConfig): () => Promise<void> {
    const prepared = this.#compile(config);
    return () => this.#swap(prepared);
  }

  async stop(): Promise<void> {
    const stages = this.#stages;
    this.#stages = [];
    for (const stage of stages) await this.#stopProcessor(stage.processor);
  }

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
    return { order, settings };
  }

  async #swap(prepared: PreparedChain): Promise<void> {
    const running = new Map(this.#stages.map((s) => [s.processor.name, s]));
    const next: Stage[] = [];
    for (const name of prepared.order) {
      const settings = prepared.settings.get(name);
      const current = running.get(name);
      if (current !== undefined) {
        current.processor.update(settings);
        running.delete(name);
        next.push(current);
      } else {
        const factory = this.#factories.get(name) as ProcessorFactory;
        next.push(new Stage(factory.create(settings), this.#metrics));
      }
    }
    this.#stages = next;
    for (const stage of running.values()) await this.#stopProcessor(stage.processor);
  }

  async #stopProcessor(processor: SpanProcessor): Promise<void> {
    try {
      await processor.stop();
    } catch (err) {
      this.#logger.error({ err, processor: processor.name }, 'processor failed to stop cleanly');
    }
  }
}
