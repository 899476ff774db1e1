import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerUnaryCall, ServiceDefinition, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { grpcErrorStatus } from '../grpc-error-status.ts';
import { DEFAULT_STOP_GRACE_MS } from '../receiver.ts';
import type { Receiver, ReceiverAddress } from '../receiver.ts';
import { decodePostSpansRequest } from './jaeger-proto-decoder.ts';

const POST_SPANS_PATH = '/jaeger.api_v2.CollectorService/PostSpans';
/** PostSpansResponse has no fields: its encoding is empty. */
const EMPTY_RESPONSE = Buffer.alloc(0);

function passthrough(buffer: Buffer): Buffer {
  return buffer;
}

/**
 * `jaeger.api_v2.CollectorService` with its one unary method. Raw bytes both
 * ways (as for OTLP/gRPC): requests go straight to the hand-written decoder.
 */
const collectorServiceDefinition: ServiceDefinition = {
  PostSpans: {
    path: POST_SPANS_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
};

/**
 * The Jaeger collector's gRPC endpoint (:14250), what the Jaeger agent and the
 * OpenTelemetry Collector's Jaeger exporter send to. grpc-js handles gzip and
 * enforces `receivers.maxBodyBytes`.
 *
 * Status mapping as for OTLP/gRPC: undecodable body → INVALID_ARGUMENT; queue
 * full → RESOURCE_EXHAUSTED with a google.rpc.RetryInfo; shutting down →
 * UNAVAILABLE. Jaeger has no partial success: spans with unusable ids are
 * counted (`skein_spans_refused_total{reason="invalid"}`) and logged, and the
 * call succeeds with the rest.
 */
export class JaegerGrpcReceiver implements Receiver {
  readonly name = 'jaeger_grpc';
  readonly #listener: SkeinConfig['receivers']['jaegerGrpc'];
  readonly #consumer: SpanConsumer;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #server: Server;
  #started = false;
  #listening = false;
  #stopped: Promise<void> | undefined;

  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    this.#listener = config.receivers.jaegerGrpc;
    this.#consumer = consumer;
    this.#metrics = metrics;
    this.#logger = logger.child({ receiver: this.name });
    this.#server = new Server({
      'grpc.max_receive_message_length': config.receivers.maxBodyBytes,
    });
    this.#server.addService(collectorServiceDefinition, { PostSpans: this.#postSpans });
  }

  get listening(): boolean {
    return this.#listening;
  }

  start(): Promise<ReceiverAddress> {
    const { host, port } = this.#listener;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#started = true;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, ServerCredentials.createInsecure(), (err, boundPort) => {
        if (err) return reject(err);
        this.#listening = true;
        this.#logger.info({ host, port: boundPort }, 'Jaeger gRPC receiver listening');
        resolve({ host, port: boundPort });
      });
    });
  }

  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    if (this.#stopped === undefined) {
      this.#listening = false;
      this.#stopped = new Promise((resolve) => {
        if (!this.#started) return resolve();
        // Stops listening and sends GOAWAY; calls already running complete first.
        const force = setTimeout(() => this.#server.forceShutdown(), graceMs);
        this.#server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    }
    return this.#stopped;
  }

  readonly #postSpans = (
    call: ServerUnaryCall<Buffer, Buffer>,
    callback: sendUnaryData<Buffer>,
  ) => {
    const body = call.request;
    try {
      const result = decodePostSpansRequest(body);
      if (result.rejectedSpans > 0) {
        this.#metrics.invalidSpans(this.name, result.rejectedSpans);
        this.#logger.warn({ rejected: result.rejectedSpans }, result.errorMessage);
      }
      this.#consumer.consume(result.spans, body.length, this.name);
    } catch (err) {
      callback(grpcErrorStatus(err, this.name, this.#metrics, this.#logger));
      return;
    }
    callback(null, EMPTY_RESPONSE);
  };
}
