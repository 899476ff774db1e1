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
 */
export interface SpanWriter {
  write(spans: readonly Span[]): Promise<void>;
}
