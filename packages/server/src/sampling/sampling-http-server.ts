import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { defaultConfig } from '../config/config.ts';
import type { HttpListenerLimitsConfig, ListenerConfig } from '../config/config.ts';
import { applyHttpTimeouts } from '../listeners/http-timeouts.ts';
import type { ReceiverAddress } from '../receivers/receiver.ts';
import type { ServedStrategies, StrategyServed } from './served-strategies.ts';
import { strategyJson } from './strategy-json.ts';
import { DEFAULT_TENANT } from '../model/span.ts';
import { HttpGuardSlot, identityOf, type HttpGuard } from '../security/index.ts';
import type { SamplingStrategyResponse } from './strategy-source.ts';

export interface SamplingHttpServerOptions {
  listener: ListenerConfig;
  strategies: ServedStrategies;
  logger: Logger;
  onServed?: StrategyServed;
  /** Header, request and keep-alive timeouts (`limits.http`); the defaults when absent. */
  httpLimits?: HttpListenerLimitsConfig;
}

/** How long `stop` lets requests in flight finish before closing their connections. */
const STOP_GRACE_MS = 2_000;

/**
 * Jaeger's remote sampling HTTP endpoint (the agent's and collector's :5778):
 * `GET /sampling?service=NAME` (jaeger-client, `@opentelemetry/sampler-jaeger-remote`)
 * and `GET /?service=NAME` (older Jaeger clients) answer the service's strategy as
 * JSON (strategy-json.ts). The `service` parameter is required exactly once (400
 * otherwise, as Jaeger); other paths are 404, other methods 405. The strategy is the
 * one of the tenant the guard admitted the request for (`identityOf(req)`), the
 * default tenant's when none was named.
 */
export class SamplingHttpServer {
  readonly #options: SamplingHttpServerOptions;
  readonly #server: Server;
  readonly #security = new HttpGuardSlot(['GET /sampling', 'GET /']);
  /** Each strategy object's JSON, made once (strategy objects are never modified). */
  readonly #json = new WeakMap<SamplingStrategyResponse, string>();
  #listening = false;

  constructor(options: SamplingHttpServerOptions) {
    this.#options = options;
    this.#server = this.#security.attach(
      createServer(
        this.#security.handler(
          (req, res) => this.#handle(req, res),
          (err) => this.#options.logger.error({ err }, 'sampling guard failed'),
        ),
      ),
    );
    applyHttpTimeouts(this.#server, options.httpLimits ?? defaultConfig.limits.http);
  }

  /** Every request passes `guard` first (security/); call before `start`. */
  protect(guard: HttpGuard): void {
    this.#security.protect(guard);
  }

  /** The routes this server answers, as the route table names them. */
  get routes(): readonly string[] {
    return this.#security.routes;
  }

  get listening(): boolean {
    return this.#listening;
  }

  start(): Promise<ReceiverAddress> {
    const { host, port } = this.#options.listener;
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        this.#listening = true;
        const address = this.#server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        this.#options.logger.info({ host, port: bound }, 'remote sampling (HTTP) listening');
        resolve({ host, port: bound });
      });
    });
  }

  stop(): Promise<void> {
    if (!this.#listening) return Promise.resolve();
    this.#listening = false;
    return new Promise((resolve) => {
      const force = setTimeout(() => this.#server.closeAllConnections(), STOP_GRACE_MS);
      force.unref();
      this.#server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.#server.closeIdleConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sampling');
    if (url.pathname !== '/sampling' && url.pathname !== '/') {
      return text(
        res,
        404,
        `no such endpoint: ${url.pathname}; the sampling port serves GET /sampling?service=NAME`,
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return text(
        res,
        405,
        `${req.method} is not served here; use GET ${url.pathname}?service=NAME`,
      );
    }
    const services = url.searchParams.getAll('service');
    if (services.length !== 1 || services[0] === '') {
      return text(
        res,
        400,
        services.length > 1
          ? `the "service" parameter must be given once, got ${services.length}: GET ${url.pathname}?service=NAME`
          : `the "service" parameter is required: GET ${url.pathname}?service=NAME (the service.name of the SDK asking)`,
      );
    }
    const tenant = identityOf(req)?.tenant ?? DEFAULT_TENANT;
    const resolved = this.#options.strategies.strategyFor(services[0], tenant);
    let body = this.#json.get(resolved.strategy);
    if (body === undefined) {
      body = strategyJson(resolved.strategy);
      this.#json.set(resolved.strategy, body);
    }
    this.#options.onServed?.('http', resolved);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      // Each SDK polls on its own schedule; a cache in between would delay a change.
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(message) + 1,
  });
  res.end(`${message}\n`);
}
