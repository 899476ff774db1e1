import type { Span } from '../model/span.ts';

/**
 * Writes spans to a backend.
 *
 * Contract:
 * - `write` resolves only after every span in the batch is durably persisted (for an
 *   embedded file store: committed; for `:memory:`: visible to readers). It rejects
 *   with a `StorageError` (cause attached) if any part of the batch was not written;
 *   the caller may retry the whole batch.
 * - Writing the same span (trace id + span id + all fields) twice is allowed; readers
 *   may return both copies (Jaeger's "duplicate spans" case) and must not fail.
 * - The writer does not keep references to the spans after `write` resolves, and
 *   does not mutate them.
 * - Concurrent calls are allowed; the backend serialises what it must.
 * - `receipts` are the durable intake's sequence numbers of the accepted batches the
 *   spans came from. A backend that implements `IntakeReceipts` stores them in the
 *   same transaction as the spans, so after a crash the intake knows exactly which
 *   batches were committed; others ignore them.
 */
export interface SpanWriter {
  write(spans: readonly Span[], receipts?: readonly number[]): Promise<void>;
}

/**
 * Intake receipts kept with the spans (see `SpanWriter.write`): the intake asks for
 * them when it opens, before replaying, and lets the store forget the old ones.
 */
export interface IntakeReceipts {
  /** Receipts stored with sequence number `from` or higher. */
  intakeReceipts(from: number): Promise<number[]>;
  /** Forgets the receipts below `seq` (their batches can no longer be replayed). */
  forgetIntakeReceipts(below: number): Promise<void>;
}

export function hasIntakeReceipts(x: object): x is IntakeReceipts {
  return 'intakeReceipts' in x && 'forgetIntakeReceipts' in x;
}

/**
 * A writer that takes spans already encoded as span-batches (codecs/span-batch), so
 * the pipeline can queue accepted spans in that compact form instead of as objects
 * (they then die young, in the request that decoded them).
 *
 * Contract: as `SpanWriter.write` for the spans the batches decode to, in order. The
 * writer does not keep or change the arrays (the pipeline retries with the same ones).
 */
export interface EncodedSpanWriter {
  writeEncoded(batches: readonly Uint8Array[], receipts?: readonly number[]): Promise<void>;
}

export function isEncodedSpanWriter(x: object): x is EncodedSpanWriter {
  return 'writeEncoded' in x;
}
