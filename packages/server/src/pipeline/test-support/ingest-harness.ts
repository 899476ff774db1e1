import { pino } from 'pino';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig } from '../../config/config.ts';
import type { SkeinConfig } from '../../config/config.ts';
import type { Span } from '../../model/span.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import type { SpanWriter } from '../../storage/span-writer.ts';
import { IngestMetrics } from '../ingest-metrics.ts';
import { Pipeline } from '../pipeline.ts';

/**
 * Passes writes through to a real store and lets a test await "n spans written"
 * instead of sleeping.
 */
export class WrittenSpans implements SpanWriter {
  count = 0;
  readonly #inner: SpanWriter;
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(inner: SpanWriter) {
    this.#inner = inner;
  }

  async write(spans: readonly Span[]): Promise<void> {
    await this.#inner.write(spans);
    this.count += spans.length;
    this.#waiters = this.#waiters.filter((w) =>
      w.count <= this.count ? (w.resolve(), false) : true,
    );
  }

  /** Resolves once at least `count` spans were written since the start. */
  atLeast(count: number): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

export interface IngestHarness {
  config: SkeinConfig;
  storage: DuckDbStorage;
  written: WrittenSpans;
  pipeline: Pipeline;
  registry: Registry;
  metrics: IngestMetrics;
  logger: Logger;
  /** Stops the pipeline (flushing) and closes the store. */
  close(): Promise<void>;
}

/**
 * A real ingest path for receiver tests: in-memory DuckDB behind a Pipeline, with
 * listeners on 127.0.0.1 port 0 and short batching delays.
 */
export async function startIngestHarness(
  adjust: (config: SkeinConfig) => void = () => {},
): Promise<IngestHarness> {
  const config = structuredClone(defaultConfig);
  config.receivers.otlpGrpc = { enabled: true, host: '127.0.0.1', port: 0 };
  config.receivers.otlpHttp = { enabled: true, host: '127.0.0.1', port: 0 };
  config.pipeline.batch.maxDelayMs = 5;
  adjust(config);
  const logger = pino({ level: 'silent' });
  const storage = new DuckDbStorage({ path: ':memory:' });
  await storage.open();
  const written = new WrittenSpans(storage);
  const registry = new Registry();
  const metrics = new IngestMetrics(registry);
  const pipeline = new Pipeline({ writer: written, config: config.pipeline, metrics, logger });
  return {
    config,
    storage,
    written,
    pipeline,
    registry,
    metrics,
    logger,
    async close() {
      await pipeline.stop();
      await storage.close();
    },
  };
}
