import { Metadata, status } from '@grpc/grpc-js';
import type { ServerErrorResponse } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isSkeinError } from '../errors.ts';
import type { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { encodeRpcStatusProto } from './otlp/otlp-response.ts';

/**
 * The gRPC status a receiver answers a failed call with, counted in
 * `skein_receiver_requests_refused_total`: a coded error keeps its gRPC code
 * and message, and a full queue, a tenant over its rate or an unreachable NATS
 * buffer (a collector with `buffer.kind: nats`) also carries a google.rpc.RetryInfo in
 * `grpc-status-details-bin` (clients that honour it, e.g. the Collector's
 * exporters, wait that long); anything else is INTERNAL and logged.
 */
export function grpcErrorStatus(
  err: unknown,
  protocol: string,
  metrics: IngestMetrics,
  logger: Logger,
): Partial<ServerErrorResponse> {
  if (!isSkeinError(err)) {
    logger.error({ err }, `failed to handle a ${protocol} call`);
    metrics.requestRefused(protocol, 'internal_error');
    const details = `internal error: ${(err as Error).message}; the server log has details`;
    return { code: status.INTERNAL, details };
  }
  metrics.requestRefused(protocol, err.code);
  const metadata = new Metadata();
  // Every refusal that carries a retry delay (a full queue, an unreachable buffer, a
  // full disk under the durable intake) sends it as RetryInfo too.
  if (err.retryAfterSeconds !== undefined) {
    metadata.set(
      'grpc-status-details-bin',
      encodeRpcStatusProto(err.grpcCode, err.message, err.retryAfterSeconds),
    );
  }
  return { code: err.grpcCode, details: err.message, metadata };
}
