import type { ProcessorFactory } from '../../processor.ts';
import { compileRedaction } from './compile-redaction.ts';
import { RedactionProcessor } from './redaction-processor.ts';
import type { RedactionSettings } from './redaction-settings.ts';

/**
 * Builds the redaction processor from `pipeline.processors.redaction`.
 * `compile` validates and compiles the rules once (ConfigError naming the key);
 * `create` needs nothing else.
 */
export const redactionFactory: ProcessorFactory<RedactionSettings, RedactionProcessor> = {
  name: 'redaction',
  compile: (config) => compileRedaction(config.pipeline.processors.redaction),
  create: (settings) => new RedactionProcessor(settings),
};
