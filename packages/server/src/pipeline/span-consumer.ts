import type { Span } from '../model/span.ts';

/**
 * Where receivers hand decoded spans: the pipeline's front door.
 *
 * Contract:
 * - `consume` either takes ownership of the whole batch (returns normally; the
 *   spans will be written unless the process dies ungracefully) or refuses the
 *   whole batch by throwing `PipelineFullError` (queue over its span or byte
 *   bound; `retryAfterSeconds` set) or `ShuttingDownError`. It never blocks and
 *   never takes part of a batch.
 * - `bytes` is the encoded size the receiver read for the batch (used for the byte
 *   bound and metrics); `protocol` labels metrics (e.g. "otlp_grpc").
 * - The receiver must not touch the spans after handing them over.
 */
export interface SpanConsumer {
  consume(spans: Span[], bytes: number, protocol: string): void;
}
