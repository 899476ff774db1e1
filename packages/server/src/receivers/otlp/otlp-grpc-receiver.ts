import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerUnaryCall, ServiceDefinition, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { grpcErrorStatus } from '../grpc-error-status.ts';
import { DEFAULT_STOP_GRACE_MS } from '../receiver.ts';
import type { Receiver, ReceiverAddress } from '../receiver.ts';
import { decodeOtlpProto } from './otlp-proto-decoder.ts';
import { encodeExportTraceResponseProto } from './otlp-response.ts';

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

function passthrough(buffer: Buffer): Buffer {
  return buffer;
}

/**
 * `opentelemetry.proto.collector.trace.v1.TraceService` with its one unary method.
 * Both directions pass raw bytes: requests go straight to the hand-written decoder,
 * responses are encoded by hand (no protobufjs on the hot path).
 */
const traceServiceDefinition: ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
};

/**
 * OTLP/gRPC trace receiver. grpc-js handles `grpc-encoding: gzip` and enforces
 * `receivers.maxBodyBytes` on received messages.
 *
 * Status mapping: undecodable body → INVALID_ARGUMENT; queue full →
 * RESOURCE_EXHAUSTED with a google.rpc.RetryInfo in `grpc-status-details-bin`;
 * shutting down → UNAVAILABLE; spans the decoder rejected → OK with
 * partial_success.
 */
export class OtlpGrpcReceiver implements Receiver {
  readonly name = 'otlp_grpc';
  readonly #listener: SkeinConfig['receivers']['otlpGrpc'];
  readonly #consumer: SpanConsumer;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #server: Server;
  #started = false;
  #listening = false;
  #stopped: Promise<void> | undefined;

  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    this.#listener = config.receivers.otlpGrpc;
    this.#consumer = consumer;
    this.#metrics = metrics;
    this.#logger = logger.child({ receiver: this.name });
    this.#server = new Server({
      'grpc.max_receive_message_length': config.receivers.maxBodyBytes,
    });
    this.#server.addService(traceServiceDefinition, { Export: this.#export });
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
        this.#logger.info({ host, port: boundPort }, 'OTLP/gRPC receiver listening');
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

  readonly #export = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    const body = call.request;
    let response: Buffer;
    try {
      const result = decodeOtlpProto(body);
      this.#metrics.invalidSpans(this.name, result.rejectedSpans);
      this.#consumer.consume(result.spans, body.length, this.name);
      response = encodeExportTraceResponseProto(result.rejectedSpans, result.errorMessage);
    } catch (err) {
      callback(grpcErrorStatus(err, this.name, this.#metrics, this.#logger));
      return;
    }
    callback(null, response);
  };
}
