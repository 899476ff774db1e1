import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { GrpcReceiverServer } from '../grpc-receiver-server.ts';
import { countRejectedSpans } from '../rejected-spans.ts';
import { decodePostSpansRequest } from './jaeger-proto-decoder.ts';
import { handOver } from '../hand-over.ts';

/** PostSpansResponse has no fields: its encoding is empty. */
const EMPTY_RESPONSE = Buffer.alloc(0);

/**
 * The Jaeger collector's gRPC endpoint (:14250): `jaeger.api_v2.CollectorService`
 * with its one unary method, PostSpans, what the Jaeger agent and the
 * OpenTelemetry Collector's Jaeger exporter send to.
 *
 * Status mapping as for OTLP/gRPC: undecodable body → INVALID_ARGUMENT; queue
 * full → RESOURCE_EXHAUSTED with a google.rpc.RetryInfo; shutting down →
 * UNAVAILABLE. Jaeger has no partial success: spans with unusable ids are
 * counted (`skein_spans_refused_total{reason="invalid"}`) and logged, and the
 * call succeeds with the rest.
 *
 * In the `collector` and `all` roles the same port also answers
 * `jaeger.api_v2.SamplingManager/GetSamplingStrategy` (added with `addService` from
 * `sampling/`), as Jaeger v1's collector did.
 */
export class JaegerGrpcReceiver extends GrpcReceiverServer {
  readonly #consumer: SpanConsumer;

  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    super({
      name: 'jaeger_grpc',
      protocol: 'Jaeger gRPC',
      listener: config.receivers.jaegerGrpc,
      methodPath: '/jaeger.api_v2.CollectorService/PostSpans',
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
    const result = decodePostSpansRequest(request, this.spanLimits);
    if (result.rejectedSpans > 0) {
      countRejectedSpans(this.metrics, this.name, result);
      this.logger.warn({ rejected: result.rejectedSpans }, result.errorMessage);
    }
    return handOver(
      this.#consumer,
      result.spans,
      request.length,
      this.name,
      tenant,
      EMPTY_RESPONSE,
    );
  }
}
