export { AlwaysSamplePolicy } from './always-sample-policy.ts';
export { AndPolicy } from './and-policy.ts';
export { BooleanAttributePolicy } from './boolean-attribute-policy.ts';
export { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
export { CompositePolicy, type CompositeShare } from './composite-policy.ts';
export { JAEGER_DEBUG_ID, isDebugSpan, isDebugTrace } from './debug-trace.ts';
export { decide } from './decide.ts';
export { DropPolicy } from './drop-policy.ts';
export { LatencyPolicy } from './latency-policy.ts';
export { NumericAttributePolicy } from './numeric-attribute-policy.ts';
export {
  samplesAsSubPolicy,
  type DecisionReason,
  type HeldTrace,
  type PolicyDecision,
  type TailSamplingPolicy,
  type TraceDecision,
} from './policy.ts';
export { DEFAULT_HASH_SALT, ProbabilisticPolicy } from './probabilistic-policy.ts';
export { RateLimitingPolicy } from './rate-limiting-policy.ts';
export { SpanCountPolicy } from './span-count-policy.ts';
export { StatusCodePolicy } from './status-code-policy.ts';
export { StringAttributePolicy } from './string-attribute-policy.ts';
export { createTailSamplingFactory } from './tail-sampling-factory.ts';
export {
  TailSamplingMetrics,
  TailSamplingProcessor,
  type TailSamplingSettings,
} from './tail-sampling-processor.ts';
