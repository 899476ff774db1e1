export { CalleeDirectory } from './callee-directory.ts';
export {
  breaksTrace,
  classifyTrace,
  indexSpans,
  type JudgedCall,
  type TraceJudgement,
} from './classify-trace.ts';
export {
  createCompletenessFactory,
  type CompletenessFactory,
  type CompletenessFactoryDeps,
} from './completeness-factory.ts';
export { CompletenessProcessor } from './completeness-processor.ts';
export type { CompletenessSettings } from './completeness-settings.ts';
export { createTraceJudge, type TraceJudgeOptions } from './trace-judge.ts';
