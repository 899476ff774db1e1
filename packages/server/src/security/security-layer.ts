import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SkeinConfig } from '../config/config.ts';
import { Authenticator, type AuthenticatorOptions } from './authenticator.ts';
import { protectFastify } from './fastify-guard.ts';
import { GrpcGuard } from './grpc-guard.ts';
import { HttpGuard } from './http-guard.ts';
import { exposedListeners } from './listen-defaults.ts';
import { RouteScopeTable, type ListenerName } from './route-scopes.ts';
import type { RouteScope } from './scope.ts';
import { compileSecuritySettings } from './security-settings.ts';

export interface SecurityLayerOptions {
  config: SkeinConfig;
  registry: Registry;
  logger: Logger;
  /** Test knobs for the authenticator (clock, JWKS cooldown). */
  authenticator?: AuthenticatorOptions;
}

/**
 * Security as one layer every listener passes through: made once per process from
 * `security.*`, it hands each listener its guard (raw node:http, Fastify, grpc-js),
 * all asking the same Authenticator with the listener's part of the route table.
 *
 * @throws ConfigError from the constructor when `security.*` is invalid.
 */
export class SecurityLayer {
  readonly authenticator: Authenticator;
  readonly #config: SkeinConfig;
  readonly #logger: Logger;

  constructor(options: SecurityLayerOptions) {
    this.#config = options.config;
    this.#logger = options.logger.child({ component: 'security' });
    this.authenticator = new Authenticator(
      compileSecuritySettings(options.config),
      options.registry,
      options.authenticator,
    );
  }

  /** The guard of a raw node:http listener. */
  http(listener: ListenerName): HttpGuard {
    return new HttpGuard(this.authenticator, this.#table(listener), this.#logger);
  }

  /** The guard of a grpc-js listener. */
  grpc(listener: ListenerName): GrpcGuard {
    return new GrpcGuard(this.authenticator, this.#table(listener), this.#logger);
  }

  /** Puts a Fastify app behind the guard; call before any route is registered. */
  fastify(app: FastifyInstance, listener: ListenerName): void {
    protectFastify(app, this.authenticator, this.#table(listener));
  }

  /**
   * Lines for the startup banner; logs a warning when listeners anyone can reach take
   * requests without credentials.
   */
  notes(): string[] {
    const settings = this.authenticator.settings;
    const exposed = exposedListeners(this.#config, 'tcp');
    if (!settings.enforced) {
      if (exposed.length === 0) return ['auth: off (every listener is on loopback)'];
      const warning = `WARNING: auth is off and ${exposed.join(', ')} ${exposed.length === 1 ? 'is' : 'are'} reachable from other hosts: anyone who reaches them can read and write every trace; configure security.tokens or security.oidc (docs/security.md)`;
      this.#logger.warn({ exposed }, warning);
      return [warning];
    }
    const kinds = [];
    if (settings.tokens.length > 0) kinds.push(`${settings.tokens.length} static token(s)`);
    if (settings.oidc !== undefined) kinds.push(`OIDC ${settings.oidc.issuer}`);
    const lines = [
      `auth: on (${kinds.join(', ')}); tenant header ${settings.tenantHeaders.join(' / ')}`,
    ];
    const udp = exposedListeners(this.#config, 'udp');
    if (udp.length > 0) {
      const warning = `WARNING: ${udp.join(', ')} take spans without credentials (UDP carries none); bind them to 127.0.0.1 unless the network is trusted`;
      this.#logger.warn({ udp }, warning);
      lines.push(warning);
    }
    return lines;
  }

  #table(listener: ListenerName): RouteScopeTable {
    const overrides: Record<string, RouteScope> =
      listener === 'admin' && this.authenticator.settings.metricsOpen
        ? { 'GET /metrics': 'public' }
        : {};
    return new RouteScopeTable(listener, overrides);
  }
}
