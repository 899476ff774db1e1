import type { ServerCredentials } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SkeinConfig } from '../config/config.ts';
import { Authenticator, type AuthenticatorOptions } from './authenticator.ts';
import { CorsPolicy } from './cors-policy.ts';
import { protectFastify } from './fastify-guard.ts';
import { GrpcGuard } from './grpc-guard.ts';
import { HttpGuard } from './http-guard.ts';
import { exposedListeners } from './listen-defaults.ts';
import { OidcLogin } from './oidc-login.ts';
import { RouteScopeTable, type ListenerName } from './route-scopes.ts';
import type { RouteScope } from './scope.ts';
import { compileSecuritySettings } from './security-settings.ts';
import { attachOidcLogin } from './session-routes.ts';
import { compileTlsSettings, TlsFiles } from './tls-files.ts';
import { checkTlsMaterial, grpcServerCredentials, serveTls } from './tls-listeners.ts';

/** The span receivers: the listeners that verify client certificates with mTLS. */
const RECEIVERS = new Set<ListenerName>([
  'otlp-grpc',
  'otlp-http',
  'zipkin',
  'jaeger-thrift-http',
  'jaeger-grpc',
]);

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
  /** The certificate files, when `security.tls` is configured (watched for changes). */
  readonly tls: TlsFiles | undefined;
  /** The UI's OIDC sign-in, when `security.oidc.clientId` is set (the query listener serves it). */
  readonly login: OidcLogin | undefined;
  readonly #config: SkeinConfig;
  readonly #logger: Logger;
  readonly #grpcCredentials = new Map<boolean, ServerCredentials>();

  constructor(options: SecurityLayerOptions) {
    this.#config = options.config;
    this.#logger = options.logger.child({ component: 'security' });
    this.authenticator = new Authenticator(
      compileSecuritySettings(options.config),
      options.registry,
      options.authenticator,
    );
    const oidc = this.authenticator.settings.oidc;
    this.login =
      oidc?.login === undefined || this.authenticator.oidc === undefined
        ? undefined
        : new OidcLogin(oidc, oidc.login, this.authenticator.oidc);
    const tls = compileTlsSettings(options.config);
    this.tls = tls === undefined ? undefined : new TlsFiles(tls, this.#logger, checkTlsMaterial);
    this.tls?.watch();
  }

  /** Stops watching the certificate files. */
  close(): void {
    this.tls?.close();
  }

  /** The span receivers verify client certificates when `security.tls.clientCaFile` is set. */
  #requireClientCert(listener: ListenerName): boolean {
    return this.tls?.settings.clientCaFile !== undefined && RECEIVERS.has(listener);
  }

  /** The guard of a raw node:http listener. */
  http(listener: ListenerName): HttpGuard {
    const tls =
      this.tls === undefined
        ? undefined
        : { files: this.tls, requireClientCert: this.#requireClientCert(listener) };
    return new HttpGuard(
      this.authenticator,
      this.#table(listener),
      this.#logger,
      tls,
      this.#cors(listener),
    );
  }

  /** The guard of a grpc-js listener. */
  grpc(listener: ListenerName): GrpcGuard {
    let credentials: ServerCredentials | undefined;
    if (this.tls !== undefined) {
      const mtls = this.#requireClientCert(listener);
      credentials = this.#grpcCredentials.get(mtls);
      if (credentials === undefined) {
        credentials = grpcServerCredentials(this.tls, mtls);
        this.#grpcCredentials.set(mtls, credentials);
      }
    }
    return new GrpcGuard(this.authenticator, this.#table(listener), this.#logger, credentials);
  }

  /** Puts a Fastify app behind the guard; call before any route is registered. */
  fastify(app: FastifyInstance, listener: ListenerName): void {
    // Jaeger UI's published build is not checked against a script policy here: its
    // pages get no script restrictions, only the framing and sniffing ones.
    // The UI's sign-in lives on the query listener, where Skein's UI is.
    const login = listener === 'query' ? this.login : undefined;
    protectFastify(
      app,
      this.authenticator,
      this.#table(listener),
      this.#cors(listener),
      listener !== 'jaeger-ui',
      login,
    );
    if (login !== undefined) attachOidcLogin(app, login);
    if (this.tls !== undefined) serveTls(app.server, this.tls, false);
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
    if (settings.oidc !== undefined)
      kinds.push(
        `OIDC ${settings.oidc.issuer}${settings.oidc.login === undefined ? '' : ', UI sign-in at /login'}`,
      );
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

  /** The listener's CORS allowlist (`security.cors.*`), if it has one. */
  #cors(listener: ListenerName): CorsPolicy | undefined {
    const c = this.#config.security.cors;
    const origins =
      listener === 'otlp-http'
        ? c.otlpHttp
        : listener === 'zipkin'
          ? c.zipkin
          : listener === 'query'
            ? c.query
            : [];
    return origins.length === 0 ? undefined : new CorsPolicy(origins);
  }

  #table(listener: ListenerName): RouteScopeTable {
    const overrides: Record<string, RouteScope> =
      listener === 'admin' && this.authenticator.settings.metricsOpen
        ? { 'GET /metrics': 'public' }
        : {};
    return new RouteScopeTable(listener, overrides);
  }
}
