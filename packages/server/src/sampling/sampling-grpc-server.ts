import { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { defaultConfig } from '../config/config.ts';
import type { GrpcListenerLimitsConfig, ListenerConfig } from '../config/config.ts';
import { grpcServerOptions } from '../listeners/grpc-server-options.ts';
import type { ReceiverAddress } from '../receivers/receiver.ts';
import { GrpcGuardSlot, type GrpcGuard } from '../security/index.ts';
import type { GrpcService } from './sampling-manager-service.ts';

/** How long `stop` lets calls in flight finish before closing their connections. */
const STOP_GRACE_MS = 2_000;

/** Strategy requests are a service name: anything near this is not one. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** The sampling gRPC port (Jaeger v2's :5779): a grpc-js server with `SamplingManager` only. */
export class SamplingGrpcServer {
  readonly #listener: ListenerConfig;
  readonly #logger: Logger;
  readonly #security = new GrpcGuardSlot();
  readonly #server: Server;
  #listening = false;
  #started = false;

  /** `grpcLimits`: streams per connection, keepalive, connection age (`limits.grpc`); the defaults when absent. */
  constructor(options: {
    listener: ListenerConfig;
    service: GrpcService;
    logger: Logger;
    grpcLimits?: GrpcListenerLimitsConfig;
  }) {
    this.#server = new Server({
      ...grpcServerOptions(options.grpcLimits ?? defaultConfig.limits.grpc, MAX_MESSAGE_BYTES),
      interceptors: [this.#security.interceptor],
    });
    this.#listener = options.listener;
    this.#logger = options.logger;
    this.#security.serve(options.service.definition);
    this.#server.addService(options.service.definition, options.service.implementation);
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

  start(): Promise<ReceiverAddress> {
    const { host, port } = this.#listener;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#started = true;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, this.#security.credentials(), (err, bound) => {
        if (err) return reject(err);
        this.#listening = true;
        this.#logger.info({ host, port: bound }, 'remote sampling (gRPC) listening');
        resolve({ host, port: bound });
      });
    });
  }

  stop(): Promise<void> {
    this.#listening = false;
    if (!this.#started) return Promise.resolve();
    this.#started = false;
    return new Promise((resolve) => {
      const force = setTimeout(() => this.#server.forceShutdown(), STOP_GRACE_MS);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
