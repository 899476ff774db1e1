import type { Logger } from 'pino';
import type { MetricsFormat } from '../../../admin/metrics-format.ts';
import type { SkeinConfig } from '../../../config/config.ts';
import type { SpanMetricsWriter } from '../../../storage/span-metrics-writer.ts';
import type { ProcessorFactory } from '../../processor.ts';
import { renderSpanMetrics } from './span-metrics-exposition.ts';
import { SpanMetricsProcessor } from './span-metrics-processor.ts';
import { compileSpanMetricsSettings } from './span-metrics-settings.ts';
import type { SpanMetricsSettings } from './span-metrics-settings.ts';

export interface SpanMetricsFactoryDeps {
  logger: Logger;
  /** The store that keeps the per-minute aggregates; without one only `/metrics` has them. */
  writer?: SpanMetricsWriter;
  /** The wall clock, ms (tests pass a fixed one). */
  now?: () => number;
}

/**
 * Builds the span-metrics processor and renders the running one for `/metrics`.
 *
 * `render` is what the admin server's `addExposition` takes: the series of the
 * processor created last and not yet stopped, or nothing when span metrics is not
 * running (disabled, or not in `pipeline.processors.order`).
 */
export interface SpanMetricsFactory extends ProcessorFactory<SpanMetricsSettings> {
  create(settings: SpanMetricsSettings): SpanMetricsProcessor;
  render(format: MetricsFormat): Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function createSpanMetricsFactory(deps: SpanMetricsFactoryDeps): SpanMetricsFactory {
  const logger = deps.logger.child({ processor: 'spanMetrics' });
  let running: SpanMetricsProcessor | undefined;
  return {
    name: 'spanMetrics',
    compile(config: SkeinConfig): SpanMetricsSettings {
      return compileSpanMetricsSettings(config);
    },
    create(settings: SpanMetricsSettings): SpanMetricsProcessor {
      const processor: SpanMetricsProcessor = new SpanMetricsProcessor(settings, {
        logger,
        writer: deps.writer,
        now: deps.now,
        onStop: () => {
          if (running === processor) running = undefined;
        },
      });
      running = processor;
      return processor;
    },
    render(format: MetricsFormat): Uint8Array {
      return running === undefined ? EMPTY : renderSpanMetrics(running, format);
    },
  };
}
