export { createSpanMetricsFactory } from './span-metrics-factory.ts';
export type { SpanMetricsFactory, SpanMetricsFactoryDeps } from './span-metrics-factory.ts';
export { SpanMetricsProcessor, MAX_PENDING_ROWS, OTHER } from './span-metrics-processor.ts';
export { renderSpanMetrics, CALLS_FAMILY, DURATION_FAMILY } from './span-metrics-exposition.ts';
export { compileSpanMetricsSettings } from './span-metrics-settings.ts';
export type { SpanMetricsSettings } from './span-metrics-settings.ts';
