import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { GrpcReceiverServer } from '../grpc-receiver-server.ts';
import { countRejectedSpans } from '../rejected-spans.ts';
import { decodeOtlpProto } from './otlp-proto-decoder.ts';
import { encodeExportTraceResponseProto } from './otlp-response.ts';
import { handOver } from '../hand-over.ts';

/**
 * OTLP/gRPC trace receiver: `opentelemetry.proto.collector.trace.v1.TraceService`
 * with its one unary method, Export.
 *
 * Status mapping: undecodable body → INVALID_ARGUMENT; queue full or the tenant over
 * its rate → RESOURCE_EXHAUSTED with a google.rpc.RetryInfo in `grpc-status-details-bin`;
 * shutting down → UNAVAILABLE; spans the decoder rejected → OK with
 * partial_success.
 */
export class OtlpGrpcReceiver extends GrpcReceiverServer {
  readonly #consumer: SpanConsumer;

  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    super({
      name: 'otlp_grpc',
      protocol: 'OTLP/gRPC',
      listener: config.receivers.otlpGrpc,
      methodPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      maxBodyBytes: config.receivers.maxBodyBytes,
      limits: config.limits.grpc,
      spanLimits: config.limits.span,
      metrics,
      logger,
    });
    this.#consumer = consumer;
  }

  /** Not async: the decoded spans must not stay reachable while the intake syncs (hand-over.ts). */
  protected handle(request: Buffer, tenant: string): Promise<Buffer> {
    const result = decodeOtlpProto(request, this.spanLimits);
    countRejectedSpans(this.metrics, this.name, result);
    const answer = encodeExportTraceResponseProto(result.rejectedSpans, result.errorMessage);
    return handOver(this.#consumer, result.spans, request.length, this.name, tenant, answer);
  }
}
