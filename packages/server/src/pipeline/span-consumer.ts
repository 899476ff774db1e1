import type { Span } from '../model/span.ts';

/**
 * Where receivers hand decoded spans: the pipeline's front door.
 *
 * Contract:
 * - `consume` either takes ownership of the whole batch or refuses the whole batch by
 *   throwing `PipelineFullError` (queue over its span or byte bound;
 *   `retryAfterSeconds` set), `ShuttingDownError` or `IntakeUnavailableError` (the
 *   durable intake cannot write). It never blocks and never takes part of a batch.
 * - Taken, it returns a promise that settles when the batch is durable: the receiver
 *   acknowledges the client only then. It rejects with `IntakeUnavailableError` when
 *   the disk refused (answer 503 / UNAVAILABLE: nothing was acknowledged). Without a
 *   durable intake it is already resolved (the spans are written unless the process
 *   dies ungracefully).
 * - `bytes` is the encoded size the receiver read for the batch (used for the byte
 *   bound and metrics); `protocol` labels metrics (e.g. "otlp_grpc").
 * - The receiver must not touch the spans after handing them over, nor keep them
 *   reachable while it waits for the promise (receivers/hand-over.ts: an async function
 *   awaiting it would keep them, and they would die in the old generation).
 * - `tenant` is the tenant the request was admitted for (`identityOf(req)?.tenant`,
 *   `tenantOf(metadata)`, `DEFAULT_TENANT` when none): the consumer stamps it on every
 *   span's resource and counts and rate-limits the batch under it (refusing with
 *   `TenantRateLimitedError`, 429 / RESOURCE_EXHAUSTED with `retryAfterSeconds`).
 *   `undefined` means the spans already carry their tenant (replay, the NATS ingester).
 */
export interface SpanConsumer {
  consume(
    spans: Span[],
    bytes: number,
    protocol: string,
    tenant: string | undefined,
  ): Promise<void>;
}
