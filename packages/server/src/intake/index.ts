/**
 * The durable intake: accepted batches on disk before they are acknowledged, and
 * replayed after a crash. See durable-intake.ts and write-ahead-log.ts.
 */
export { DurableIntake, type ReplayTarget } from './durable-intake.ts';
