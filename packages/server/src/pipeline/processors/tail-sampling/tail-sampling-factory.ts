import type { Registry } from 'prom-client';
import type { SkeinConfig } from '../../../config/config.ts';
import type { ProcessorFactory } from '../../processor.ts';
import { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
import {
  TailSamplingMetrics,
  TailSamplingProcessor,
  type TailSamplingSettings,
} from './tail-sampling-processor.ts';

/** Builds the tail-sampling processor; its metrics register once per factory. */
export function createTailSamplingFactory(deps: {
  registry: Registry;
  now?: () => number;
}): ProcessorFactory<TailSamplingSettings, TailSamplingProcessor> {
  const metrics = new TailSamplingMetrics(deps.registry);
  return {
    name: 'tailSampling',
    compile: (config: SkeinConfig) => ({
      policies: compileTailSamplingPolicies(config.pipeline.processors.tailSampling),
    }),
    create: (settings) => new TailSamplingProcessor(settings, { metrics, now: deps.now }),
  };
}
