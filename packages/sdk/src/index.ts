export { start, type SkeinKit } from './start.ts';
export type { SkeinOptions, PropagatorName } from './kit-options.ts';
export { optionsFromEnv } from './options-from-env.ts';
export { bindContext, bindEmitter } from './async/bind-context.ts';
export {
  runDetached,
  type RunDetachedOptions,
  type DetachedRelation,
} from './async/run-detached.ts';
export { traceWorker, workerContext, postTraced, onTracedMessage } from './async/trace-worker.ts';
export {
  traceJob,
  every,
  scheduleOnce,
  recordSchedule,
  runScheduled,
} from './async/scheduled-jobs.ts';
export { TracedPromisePool } from './async/promise-pool.ts';
export { injectCarrier, extractCarrier, type Carrier } from './async/carrier.ts';
export type { LeakedSpan } from './async/leak-check.ts';
export type {
  RedactionConfig,
  RedactionRule,
  RedactionAction,
} from './redaction/redaction-config.ts';
export { RedactionRules } from './redaction/redaction-rules.ts';
export { stripSqlLiterals } from './redaction/sql-literals.ts';
