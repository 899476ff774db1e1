import {
  Metadata,
  ServerCredentials,
  ServerInterceptingCall,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isSkeinError } from '../errors.ts';
import type { Authenticator, Credentials } from './authenticator.ts';
import type { RequestIdentity } from './principal.ts';
import type { RouteScopeTable } from './route-scopes.ts';

/** The metadata key a guard puts the request's resolved tenant in, for the handler (`tenantOf`). */
const TENANT_KEY = 'skein-tenant';

/** The tenant a guarded gRPC call acts for (undefined: none named, or no guard). */
export function tenantOf(metadata: Metadata): string | undefined {
  const value = metadata.get(TENANT_KEY)[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The guard of one grpc-js server: a server interceptor that authenticates each
 * call's metadata (`authorization`, the tenant keys) for its method's declared
 * scope before the handler sees anything, answering UNAUTHENTICATED,
 * PERMISSION_DENIED or RESOURCE_EXHAUSTED otherwise. The resolved tenant replaces
 * any `skein-tenant` the client sent.
 */
export class GrpcGuard {
  readonly #authenticator: Authenticator;
  readonly #table: RouteScopeTable;
  readonly #logger: Logger;

  /** The credentials to bind with: TLS when `security.tls` is configured. */
  readonly credentials: ServerCredentials;

  constructor(
    authenticator: Authenticator,
    table: RouteScopeTable,
    logger: Logger,
    credentials: ServerCredentials = ServerCredentials.createInsecure(),
  ) {
    this.#authenticator = authenticator;
    this.#table = table;
    this.#logger = logger;
    this.credentials = credentials;
  }

  get listener(): string {
    return this.#table.listener;
  }

  /**
   * Throws when a served method is not in the route table (the server must not
   * start with an unguarded method).
   */
  checkDeclared(methodPaths: Iterable<string>): void {
    for (const path of methodPaths) {
      if (this.#table.declared(path) === undefined) {
        throw new Error(
          `gRPC method ${path} on the ${this.#table.listener} listener declares no scope: add it to packages/server/src/security/route-scopes.ts`,
        );
      }
    }
  }

  readonly interceptor: ServerInterceptor = (
    method: ServerMethodDefinition<unknown, unknown>,
    call: ServerInterceptingCallInterface,
  ) => {
    const scope = this.#table.declared(method.path) ?? 'authenticated';
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            const credentials = this.#credentials(metadata, call);
            const admit = (identity: RequestIdentity) => {
              metadata.remove(TENANT_KEY);
              if (identity.tenant !== undefined) metadata.set(TENANT_KEY, identity.tenant);
              pass(metadata);
            };
            const refuse = (err: unknown) => {
              if (isSkeinError(err)) {
                const trailers = new Metadata();
                if (err.retryAfterSeconds !== undefined)
                  trailers.set('retry-after', String(err.retryAfterSeconds));
                call.sendStatus({ code: err.grpcCode, details: err.message, metadata: trailers });
              } else {
                this.#logger.error(
                  { err, listener: this.#table.listener },
                  'authentication failed unexpectedly',
                );
                call.sendStatus({
                  code: status.INTERNAL,
                  details: 'internal error while checking credentials',
                });
              }
            };
            let result: RequestIdentity | Promise<RequestIdentity>;
            try {
              result = this.#authenticator.authenticate(credentials, scope, this.#table.listener);
            } catch (err) {
              refuse(err);
              return;
            }
            if (result instanceof Promise) result.then(admit, refuse);
            else admit(result);
          },
        });
      },
    });
  };

  #credentials(metadata: Metadata, call: ServerInterceptingCallInterface): Credentials {
    const auth = metadata.get('authorization')[0];
    let tenant: string | undefined;
    for (const key of this.#authenticator.settings.tenantHeaders) {
      const value = metadata.get(key)[0];
      if (typeof value === 'string') {
        tenant = value;
        break;
      }
    }
    return {
      authorization: typeof auth === 'string' ? auth : undefined,
      tenant,
      source: call.getConnectionInfo().remoteAddress ?? 'unknown',
    };
  }
}
