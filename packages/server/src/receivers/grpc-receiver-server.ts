import { Server } from '@grpc/grpc-js';
import type {
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { defaultConfig } from '../config/config.ts';
import type {
  GrpcListenerLimitsConfig,
  ListenerConfig,
  SpanLimitsConfig,
} from '../config/config.ts';
import { grpcServerOptions } from '../listeners/grpc-server-options.ts';
import { DEFAULT_TENANT } from '../model/span.ts';
import { GrpcGuardSlot, tenantOf, type GrpcGuard } from '../security/index.ts';
import type { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { grpcErrorStatus } from './grpc-error-status.ts';
import { DEFAULT_STOP_GRACE_MS } from './receiver.ts';
import { SpanLimits } from './span-limits.ts';
import { TruncationMetrics } from './truncation-metrics.ts';
import type { Receiver, ReceiverAddress } from './receiver.ts';

export interface GrpcReceiverOptions {
  /** The receiver's name in logs and metrics, e.g. "otlp_grpc". */
  name: string;
  /** The protocol as people call it, for log lines, e.g. "OTLP/gRPC". */
  protocol: string;
  listener: ListenerConfig;
  /** The one unary method served, e.g. "/opentelemetry.proto.collector.trace.v1.TraceService/Export". */
  methodPath: string;
  /** grpc-js refuses larger messages (after decompression) with RESOURCE_EXHAUSTED. */
  maxBodyBytes: number;
  /** Streams per connection, keepalive and connection age (`limits.grpc`); the defaults when absent. */
  limits?: GrpcListenerLimitsConfig;
  /** `limits.span`; the defaults when absent. */
  spanLimits?: SpanLimitsConfig;
  metrics: IngestMetrics;
  logger: Logger;
}

function passthrough(buffer: Buffer): Buffer {
  return buffer;
}

/**
 * What the gRPC span receivers (OTLP/gRPC, Jaeger api_v2) share: a grpc-js server
 * with one unary method whose messages stay raw bytes both ways (requests go
 * straight to a hand-written decoder, responses are encoded by hand: no
 * protobufjs on the hot path), the server lifecycle of the `Receiver` contract,
 * and the error → status mapping of grpc-error-status.ts. grpc-js handles
 * `grpc-encoding: gzip` and enforces the message size limit.
 *
 * Subclasses supply `handle`.
 */
export abstract class GrpcReceiverServer implements Receiver {
  readonly name: string;
  protected readonly metrics: IngestMetrics;
  /** A child logger bound to `receiver: name`. */
  protected readonly logger: Logger;
  /** `limits.span`, counting cuts under this receiver's name; hand it to the decoders. */
  protected readonly spanLimits: SpanLimits;
  readonly #protocol: string;
  readonly #listener: ListenerConfig;
  readonly #server: Server;
  readonly #security = new GrpcGuardSlot();
  #started = false;
  #listening = false;
  #stopped: Promise<void> | undefined;

  constructor(options: GrpcReceiverOptions) {
    this.name = options.name;
    this.#protocol = options.protocol;
    this.#listener = options.listener;
    this.metrics = options.metrics;
    this.logger = options.logger.child({ receiver: options.name });
    this.spanLimits = new SpanLimits(
      options.spanLimits ?? defaultConfig.limits.span,
      new TruncationMetrics(options.metrics, options.name),
    );
    this.#server = new Server({
      ...grpcServerOptions(options.limits ?? defaultConfig.limits.grpc, options.maxBodyBytes),
      interceptors: [this.#security.interceptor],
    });
    const { methodPath } = options;
    const method = methodPath.slice(methodPath.lastIndexOf('/') + 1);
    const service: ServiceDefinition = {
      [method]: {
        path: methodPath,
        requestStream: false,
        responseStream: false,
        requestSerialize: passthrough,
        requestDeserialize: passthrough,
        responseSerialize: passthrough,
        responseDeserialize: passthrough,
      },
    };
    this.#security.serve(service);
    this.#server.addService(service, { [method]: this.#unary });
  }

  /** Every call passes `guard` first (security/); call before `start`. */
  protect(guard: GrpcGuard): void {
    this.#security.protect(guard);
  }

  /** The full paths of the methods served, as the route table names them. */
  get methods(): readonly string[] {
    return this.#security.methods;
  }

  get listening(): boolean {
    return this.#listening;
  }

  /**
   * Serves another gRPC service on this port (the Jaeger collector's port also
   * answers `jaeger.api_v2.SamplingManager`, as Jaeger v1's did). Its handlers own
   * their errors; the receiver's status mapping does not apply to them.
   */
  addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    this.#security.serve(definition);
    this.#server.addService(definition, implementation);
  }

  start(): Promise<ReceiverAddress> {
    const { host, port } = this.#listener;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#started = true;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, this.#security.credentials(), (err, boundPort) => {
        if (err) return reject(err);
        this.#listening = true;
        this.logger.info({ host, port: boundPort }, `${this.#protocol} receiver listening`);
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

  /**
   * Decodes one request message, hands its spans on under `tenant` (the one the guard
   * resolved from the call's metadata, `tenantOf`, else the default tenant) and returns
   * the encoded response once the spans are durable (the durable intake). A thrown
   * SkeinError keeps its gRPC code; anything else is INTERNAL.
   */
  protected abstract handle(request: Buffer, tenant: string): Promise<Buffer>;

  readonly #unary = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    // `handle` may throw before it returns a promise (a request that does not decode).
    new Promise<Buffer>((resolve) =>
      resolve(this.handle(call.request, tenantOf(call.metadata) ?? DEFAULT_TENANT)),
    ).then(
      (response) => callback(null, response),
      (err: unknown) => callback(grpcErrorStatus(err, this.name, this.metrics, this.logger)),
    );
  };
}
