import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SkeinConfig } from '../../../config/config.ts';
import type { DependencyWriter } from '../../../storage/dependency-writer.ts';
import type { ProcessorFactory } from '../../processor.ts';
import { DependenciesMetrics } from './dependencies-metrics.ts';
import { DependenciesProcessor } from './dependencies-processor.ts';
import { compileDependenciesSettings, type DependenciesSettings } from './dependencies-settings.ts';

export interface DependenciesFactoryDeps {
  logger: Logger;
  /** Where its metrics register (once per factory). */
  registry: Registry;
  writer?: DependencyWriter;
  now?: () => number;
}

export interface DependenciesFactory extends ProcessorFactory<DependenciesSettings> {
  create(settings: DependenciesSettings): DependenciesProcessor;
}

export function createDependenciesFactory(deps: DependenciesFactoryDeps): DependenciesFactory {
  const metrics = new DependenciesMetrics(deps.registry);
  const logger = deps.logger.child({ processor: 'dependencies' });
  return {
    name: 'dependencies',
    compile: (config: SkeinConfig) => compileDependenciesSettings(config),
    create: (settings) =>
      new DependenciesProcessor(settings, { logger, metrics, writer: deps.writer, now: deps.now }),
  };
}
