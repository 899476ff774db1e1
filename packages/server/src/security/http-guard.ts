import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Authenticator, Credentials } from './authenticator.ts';
import type { CorsPolicy } from './cors-policy.ts';
import { setIdentity } from './identity.ts';
import type { RequestIdentity } from './principal.ts';
import { refusalFor } from './refusal.ts';
import type { NeededScope, RouteScopeTable } from './route-scopes.ts';
import type { TlsFiles } from './tls-files.ts';

/** A listener's TLS: the files and whether clients must present a certificate. */
export interface ListenerTls {
  readonly files: TlsFiles;
  readonly requireClientCert: boolean;
}

/** The credentials of a node:http request. */
export function httpCredentials(
  req: IncomingMessage,
  tenantHeaders: readonly string[],
): Credentials {
  let tenant: string | undefined;
  for (const name of tenantHeaders) {
    const value = req.headers[name];
    if (value !== undefined) {
      tenant = Array.isArray(value) ? value[0] : value;
      break;
    }
  }
  return {
    authorization: req.headers.authorization,
    tenant,
    source: req.socket.remoteAddress ?? 'unknown',
  };
}

/**
 * The guard in front of one raw node:http listener (the HTTP receivers, admin,
 * sampling): looks up the route's scope, asks the authenticator, records the
 * identity (`identityOf(req)`) or answers the refusal itself as plain text.
 */
export class HttpGuard {
  /** TLS for the listener, when `security.tls` is configured. */
  readonly tls: ListenerTls | undefined;
  /** Browser origins allowed (CORS), when the listener has an allowlist. */
  readonly cors: CorsPolicy | undefined;
  readonly #authenticator: Authenticator;
  readonly #table: RouteScopeTable;
  readonly #logger: Logger;

  constructor(
    authenticator: Authenticator,
    table: RouteScopeTable,
    logger: Logger,
    tls?: ListenerTls,
    cors?: CorsPolicy,
  ) {
    this.#authenticator = authenticator;
    this.#table = table;
    this.#logger = logger;
    this.tls = tls;
    this.cors = cors?.enabled === true ? cors : undefined;
  }

  get listener(): string {
    return this.#table.listener;
  }

  /** @throws Error when one of `routes` (`METHOD /path`) has no scope in the route table. */
  checkDeclared(routes: Iterable<string>): void {
    for (const route of routes) {
      if (this.#table.declared(route) === undefined) {
        throw new Error(
          `route ${route} on the ${this.#table.listener} listener declares no scope: add it to packages/server/src/security/route-scopes.ts`,
        );
      }
    }
  }

  /**
   * Admits or refuses a request for `path` (without its query string): `true` to
   * go on, `false` when the guard has answered, a promise of either while a JWT is
   * being checked. The body is left unread either way.
   */
  admit(req: IncomingMessage, res: ServerResponse, path: string): boolean | Promise<boolean> {
    res.setHeader('x-content-type-options', 'nosniff');
    if (this.cors?.handle(req, res) === true) return false;
    const scope = this.#table.scopeOf(req.method ?? 'GET', path);
    const credentials = httpCredentials(req, this.#authenticator.settings.tenantHeaders);
    let result: RequestIdentity | Promise<RequestIdentity>;
    try {
      result = this.#authenticator.authenticate(credentials, scope, this.#table.listener);
    } catch (err) {
      this.#refuse(res, err, scope, credentials);
      return false;
    }
    if (result instanceof Promise) {
      return result.then(
        (identity) => {
          setIdentity(req, identity);
          return true;
        },
        (err: unknown) => {
          this.#refuse(res, err, scope, credentials);
          return false;
        },
      );
    }
    setIdentity(req, result);
    return true;
  }

  #refuse(res: ServerResponse, err: unknown, scope: NeededScope, credentials: Credentials): void {
    const refusal = refusalFor(err, scope, credentials.authorization !== undefined);
    let status = 500;
    let message = 'internal error while checking credentials; the server log has details';
    if (refusal === undefined) {
      this.#logger.error(
        { err, listener: this.#table.listener },
        'authentication failed unexpectedly',
      );
    } else {
      status = refusal.error.statusCode;
      message = refusal.error.message;
      for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
    }
    const body = `${message}\n`;
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}
