import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
import { defaultConfig } from '../config/config.ts';
import type { HttpListenerLimitsConfig, ListenerConfig } from '../config/config.ts';
import { applyHttpTimeouts } from '../listeners/http-timeouts.ts';
import type { ReceiverAddress } from '../receivers/receiver.ts';
import { HttpGuardSlot, type HttpGuard } from '../security/index.ts';
import { metricsContentType, negotiateMetricsFormat } from './metrics-format.ts';
import type { ExpositionSource } from './metrics-format.ts';
import { renderRegistry } from './registry-exposition.ts';

/**
 * One condition for readiness: `true` when met; `false` or a reason (string) when
 * not. A check that throws or rejects counts as not ready, with its message.
 */
export type ReadinessCheck = () => boolean | string | Promise<boolean | string>;

/**
 * The admin port (:14269): `/health`, `/ready` and `/metrics`.
 *
 * - `/health` is 200 while the process runs and 503 once `markShuttingDown()` was
 *   called (orchestrators stop routing to it).
 * - `/ready` is 200 only when every registered check passes and the process is not
 *   shutting down; otherwise 503. The JSON body names each check's state.
 * - `/metrics` serves the registry passed in, to which the constructor adds
 *   prom-client's default Node process metrics (so construct one AdminServer per
 *   registry), followed by every exposition source added with `addExposition` (span
 *   metrics). The `Accept` header picks the format: OpenMetrics 1.0.0 (with
 *   exemplars; what Prometheus asks for first) or the Prometheus text format 0.0.4.
 *   Scrapes never change the registry, so concurrent scrapes in different formats
 *   are independent.
 */
export class AdminServer {
  readonly #listener: ListenerConfig;
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #checks = new Map<string, ReadinessCheck>();
  readonly #expositions: ExpositionSource[] = [];
  readonly #server: Server;
  readonly #security = new HttpGuardSlot(['GET /health', 'GET /ready', 'GET /metrics']);
  readonly #httpLimits: HttpListenerLimitsConfig;
  #shuttingDown = false;
  #stopped: Promise<void> | undefined;

  /** `httpLimits`: header, request and keep-alive timeouts (`limits.http`; the defaults when absent). */
  constructor(
    listener: ListenerConfig,
    registry: Registry,
    logger: Logger,
    httpLimits: HttpListenerLimitsConfig = defaultConfig.limits.http,
  ) {
    this.#httpLimits = httpLimits;
    this.#listener = listener;
    this.#registry = registry;
    this.#logger = logger.child({ component: 'admin' });
    collectDefaultMetrics({ register: registry });
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      this.#route(req, res).catch((err: unknown) => {
        this.#logger.error({ err, url: req.url }, 'admin request failed');
        if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
        else res.destroy();
      });
    };
    this.#server = this.#security.attach(
      createServer(
        this.#security.handler(handle, (err) => this.#logger.error({ err }, 'admin guard failed')),
      ),
    );
  }

  /** Every request passes `guard` first (security/); call before `start`. */
  protect(guard: HttpGuard): void {
    this.#security.protect(guard);
  }

  /** The routes this server answers, as the route table names them. */
  get routes(): readonly string[] {
    return this.#security.routes;
  }

  /** Adds (or replaces) the readiness check called `name`. */
  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /**
   * Appends `source`'s families to every `/metrics` answer, after the registry's, in
   * the order added. Its family names must not clash with the registry's.
   */
  addExposition(source: ExpositionSource): void {
    this.#expositions.push(source);
  }

  /** From now on /health and /ready answer 503. */
  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  start(): Promise<ReceiverAddress> {
    return new Promise((resolve, reject) => {
      const server = this.#server;
      server.once('error', reject);
      applyHttpTimeouts(server, this.#httpLimits);
      server.listen(this.#listener.port, this.#listener.host, () => {
        server.off('error', reject);
        const { address, port } = server.address() as AddressInfo;
        this.#logger.info({ host: address, port }, 'admin endpoint listening');
        resolve({ host: address, port });
      });
    });
  }

  /** Marks shutting down, stops listening and waits for open requests. Idempotent. */
  stop(): Promise<void> {
    if (this.#stopped === undefined) {
      this.markShuttingDown();
      this.#stopped = new Promise((resolve) => {
        if (!this.#server.listening) return resolve();
        this.#server.close(() => resolve());
        this.#server.closeIdleConnections();
      });
    }
    return this.#stopped;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: `use GET ${path}` });
      return;
    }
    switch (path) {
      case '/health':
        sendJson(res, this.#shuttingDown ? 503 : 200, {
          status: this.#shuttingDown ? 'shutting down' : 'ok',
        });
        return;
      case '/ready':
        await this.#ready(res);
        return;
      case '/metrics': {
        const format = negotiateMetricsFormat(req.headers.accept);
        const chunks: Uint8Array[] = [Buffer.from(await renderRegistry(this.#registry, format))];
        for (const render of this.#expositions) {
          const part = render(format);
          // A source may hand out a view of a buffer it reuses: copy it now.
          chunks.push(typeof part === 'string' ? Buffer.from(part) : Buffer.from(part));
        }
        if (format === 'openmetrics') chunks.push(Buffer.from('# EOF\n'));
        const body = Buffer.concat(chunks);
        res.writeHead(200, {
          'content-type': metricsContentType(format),
          'content-length': body.length,
        });
        res.end(body);
        return;
      }
      default:
        sendJson(res, 404, { error: `no endpoint ${path}; try /health, /ready or /metrics` });
    }
  }

  async #ready(res: ServerResponse): Promise<void> {
    const checks: Record<string, string> = {};
    let ready = !this.#shuttingDown;
    for (const [name, check] of this.#checks) {
      let outcome: boolean | string;
      try {
        outcome = await check();
      } catch (err) {
        outcome = `check failed: ${(err as Error).message}`;
      }
      if (outcome === true) {
        checks[name] = 'ok';
      } else {
        ready = false;
        checks[name] = outcome === false ? 'not ready' : outcome;
      }
    }
    const status = this.#shuttingDown ? 'shutting down' : ready ? 'ready' : 'not ready';
    sendJson(res, ready ? 200 : 503, { status, checks });
  }
}

function sendJson(res: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
