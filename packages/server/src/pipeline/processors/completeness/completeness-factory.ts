import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SkeinConfig } from '../../../config/config.ts';
import type { CompletenessWriter } from '../../../storage/completeness-writer.ts';
import type { ProcessorFactory } from '../../processor.ts';
import { CompletenessMetrics } from './completeness-metrics.ts';
import { CompletenessProcessor } from './completeness-processor.ts';
import { compileCompletenessSettings, type CompletenessSettings } from './completeness-settings.ts';

export interface CompletenessFactoryDeps {
  logger: Logger;
  /** Where its metrics register (once per factory). */
  registry: Registry;
  writer?: CompletenessWriter;
  now?: () => number;
}

/**
 * Builds the completeness processor. `running` is the processor created last and not
 * stopped yet: the query API judges single traces with what it has learned.
 */
export interface CompletenessFactory extends ProcessorFactory<CompletenessSettings> {
  create(settings: CompletenessSettings): CompletenessProcessor;
  readonly running: CompletenessProcessor | undefined;
}

export function createCompletenessFactory(deps: CompletenessFactoryDeps): CompletenessFactory {
  const metrics = new CompletenessMetrics(deps.registry);
  const logger = deps.logger.child({ processor: 'completeness' });
  let running: CompletenessProcessor | undefined;
  return {
    name: 'completeness',
    compile: (config: SkeinConfig) => compileCompletenessSettings(config),
    create(settings) {
      const processor: CompletenessProcessor = new CompletenessProcessor(settings, {
        logger,
        metrics,
        writer: deps.writer,
        now: deps.now,
        onStop: () => {
          if (running === processor) running = undefined;
        },
      });
      running = processor;
      return processor;
    },
    get running() {
      return running;
    },
  };
}
