import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { SkeinConfig } from '../config/config.ts';
import type { ReceiverAddress } from '../receivers/receiver.ts';
import type { SecurityLayer } from '../security/index.ts';
import { FileStrategySource } from './file-strategy-source.ts';
import { SamplingGrpcServer } from './sampling-grpc-server.ts';
import { SamplingHttpServer } from './sampling-http-server.ts';
import { samplingManagerService, type GrpcService } from './sampling-manager-service.ts';
import type { StrategyServed } from './served-strategies.ts';
import { StrategyResolver } from './strategy-resolver.ts';
import type { StrategySource } from './strategy-source.ts';

export interface SamplingServiceOptions {
  config: SkeinConfig;
  logger: Logger;
  /** For the sampling metrics; absent in tests that do not look. */
  registry?: Registry;
  /** The adaptive source, if one runs (it can also be set later: `strategies.adaptive = ...`). */
  adaptive?: StrategySource;
  /** Puts both listeners behind their guards (absent: open, as in tests of this service alone). */
  security?: SecurityLayer;
}

/** Where the listeners listen once started (absent: turned off in config). */
export interface SamplingAddresses {
  http?: ReceiverAddress;
  grpc?: ReceiverAddress;
}

/**
 * Skein's remote sampling service: the operator's strategies (file or YAML, hot
 * reloaded), the adaptive source when there is one, composed by `StrategyResolver`,
 * and served on `sampling.http` (:5778) and `sampling.grpc` (:5779). `grpcService`
 * is the same `SamplingManager` for other gRPC ports (the Jaeger collector's :14250).
 */
export class SamplingService {
  readonly file: FileStrategySource;
  readonly strategies: StrategyResolver;
  readonly grpcService: GrpcService;
  /** A `ReloadTarget` (cli/config-reloader.ts): the strategies follow the configuration. */
  readonly reloadTarget: {
    name: string;
    covers: readonly string[];
    readsFiles: boolean;
    prepare: (next: SkeinConfig) => () => void;
  };
  readonly #config: SkeinConfig;
  readonly #logger: Logger;
  readonly #http: SamplingHttpServer | undefined;
  readonly #grpc: SamplingGrpcServer | undefined;

  /** @throws ConfigError when the strategies do not load. */
  constructor(options: SamplingServiceOptions) {
    const { config } = options;
    this.#config = config;
    this.#logger = options.logger.child({ component: 'sampling' });
    this.file = new FileStrategySource(config.sampling, {
      logger: this.#logger,
      registry: options.registry,
    });
    this.strategies = new StrategyResolver({ file: this.file, adaptive: options.adaptive });
    const onServed = servedCounter(options.registry);
    this.grpcService = samplingManagerService(this.strategies, onServed);
    this.reloadTarget = {
      name: 'sampling strategies',
      covers: ['sampling.strategiesFile', 'sampling.strategies'],
      readsFiles: true,
      prepare: (next) => this.file.prepare(next),
    };
    const { http, grpc } = config.sampling;
    this.#http = http.enabled
      ? new SamplingHttpServer({
          listener: http,
          strategies: this.strategies,
          logger: this.#logger,
          onServed,
          httpLimits: config.limits.http,
        })
      : undefined;
    this.#grpc = grpc.enabled
      ? new SamplingGrpcServer({
          listener: grpc,
          service: this.grpcService,
          logger: this.#logger,
          grpcLimits: config.limits.grpc,
        })
      : undefined;
    if (options.security !== undefined) {
      this.#http?.protect(options.security.http('sampling-http'));
      this.#grpc?.protect(options.security.grpc('sampling-grpc'));
    }
  }

  /** Starts the listeners and watches the strategies file. */
  async start(): Promise<SamplingAddresses> {
    const addresses: SamplingAddresses = {};
    try {
      if (this.#http !== undefined) addresses.http = await this.#http.start();
      if (this.#grpc !== undefined) addresses.grpc = await this.#grpc.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.file.watch();
    return addresses;
  }

  /** Readiness of each enabled listener, for the admin port's `/ready`. */
  readinessChecks(): [string, () => true | string][] {
    const checks: [string, () => true | string][] = [];
    const http = this.#http;
    const grpc = this.#grpc;
    if (http !== undefined) {
      const { port } = this.#config.sampling.http;
      checks.push([
        'sampling_http',
        () => http.listening || `remote sampling HTTP (:${port}) is not listening`,
      ]);
    }
    if (grpc !== undefined) {
      const { port } = this.#config.sampling.grpc;
      checks.push([
        'sampling_grpc',
        () => grpc.listening || `remote sampling gRPC (:${port}) is not listening`,
      ]);
    }
    return checks;
  }

  async stop(): Promise<void> {
    this.file.close();
    await Promise.all([this.#http?.stop(), this.#grpc?.stop()]);
  }
}

function servedCounter(registry: Registry | undefined): StrategyServed | undefined {
  if (registry === undefined) return undefined;
  const counter = new Counter({
    name: 'skein_sampling_requests_total',
    help: 'Sampling strategies served to SDKs, by transport (http, grpc) and origin (file, adaptive, default).',
    labelNames: ['transport', 'origin'],
    registers: [registry],
  });
  return (transport, resolved) => counter.inc({ transport, origin: resolved.origin });
}
