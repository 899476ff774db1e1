import type { Span } from '../model/span.ts';

/** What recording an accepted batch returns. */
export interface JournalEntry {
  /** The batch's sequence number; `committed` takes it back. */
  seq: number;
  /** Settles once the batch is on disk; rejects with `IntakeUnavailableError` if it could not be. */
  durable: Promise<void>;
  /**
   * The batch as recorded, a span-batch (codecs/span-batch) of exactly the spans given
   * to `record`, or absent. Read-only: the journal keeps these very bytes. The pipeline
   * queues them instead of encoding the spans again when no processor changed the batch.
   */
  batch?: Uint8Array;
}

/**
 * Where the pipeline records accepted batches before it acknowledges them (the
 * durable intake, intake/): what is recorded and not yet committed by storage is
 * replayed after a crash.
 *
 * Contract:
 * - `record` returns at once; it throws `IntakeUnavailableError` (nothing recorded)
 *   while the journal refuses, e.g. on a full disk.
 * - `committed(seq)` is called once per recorded batch, after storage committed every
 *   span of it that the processors passed on (or when none were left to write). Spans
 *   a trace-level processor holds back for a decision (tail sampling) are not covered:
 *   see docs/operations.md.
 */
export interface IntakeJournal {
  record(spans: readonly Span[]): JournalEntry;
  committed(seq: number): void;
}
