import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { ServerCredentials, ServerInterceptingCall } from '@grpc/grpc-js';
import type {
  ServerInterceptingCallInterface,
  ServerInterceptor,
  ServerMethodDefinition,
  ServiceDefinition,
} from '@grpc/grpc-js';
import type { GrpcGuard } from './grpc-guard.ts';
import type { HttpGuard } from './http-guard.ts';
import { serveTls } from './tls-listeners.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Where a raw node:http server keeps its guard: the server is created with
 * `handler(ownHandler)` and stays open until `protect` is called (roles.ts does, for
 * every listener; a server built alone in a test has none). The server names the
 * routes it serves (`METHOD /path`), checked against the route table on `protect`.
 */
export class HttpGuardSlot {
  readonly routes: readonly string[];
  #guard: HttpGuard | undefined;
  #server: HttpServer | undefined;

  constructor(routes: readonly string[]) {
    this.routes = routes;
  }

  get guard(): HttpGuard | undefined {
    return this.#guard;
  }

  /** Notes the server the slot guards (for TLS); returns it. */
  attach<S extends HttpServer>(server: S): S {
    this.#server = server;
    return server;
  }

  /**
   * Guards the server from now on, and puts TLS in front of it when the guard has
   * some (before the server listens).
   * @throws Error when one of the server's routes has no scope in the route table.
   */
  protect(guard: HttpGuard): void {
    guard.checkDeclared(this.routes);
    this.#guard = guard;
    if (guard.tls !== undefined) {
      if (this.#server === undefined)
        throw new Error('HttpGuardSlot: attach the server before protect');
      serveTls(this.#server, guard.tls.files, guard.tls.requireClientCert);
    }
  }

  /** `inner` behind the guard; a refused request never reaches it. */
  handler(inner: Handler, onUnexpected: (err: unknown) => void): Handler {
    return (req, res) => {
      const guard = this.#guard;
      if (guard === undefined) return inner(req, res);
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      const admitted = guard.admit(req, res, queryAt === -1 ? url : url.slice(0, queryAt));
      if (admitted === true) inner(req, res);
      else if (admitted !== false)
        admitted
          .then((ok) => {
            if (ok) inner(req, res);
          })
          .catch(onUnexpected);
    };
  }
}

/**
 * Where a grpc-js server keeps its guard: the server is created with `interceptor`
 * among its interceptors and tells the slot each service it adds; `protect` checks
 * every method has a scope in the route table.
 */
export class GrpcGuardSlot {
  readonly #methods: string[] = [];
  #guard: GrpcGuard | undefined;

  /** The full paths of every method served. */
  get methods(): readonly string[] {
    return this.#methods;
  }

  /** Notes a service's methods (call beside `server.addService`); checked at once when protected. */
  serve(definition: ServiceDefinition): void {
    const paths = Object.values(definition).map((m) => m.path);
    this.#guard?.checkDeclared(paths);
    this.#methods.push(...paths);
  }

  /** What to bind with: the guard's (TLS when configured), else plain text. */
  credentials(): ServerCredentials {
    return this.#guard?.credentials ?? ServerCredentials.createInsecure();
  }

  /** @throws Error when a served method has no scope in the route table. */
  protect(guard: GrpcGuard): void {
    guard.checkDeclared(this.#methods);
    this.#guard = guard;
  }

  readonly interceptor: ServerInterceptor = (
    method: ServerMethodDefinition<unknown, unknown>,
    call: ServerInterceptingCallInterface,
  ) =>
    this.#guard === undefined
      ? new ServerInterceptingCall(call)
      : this.#guard.interceptor(method, call);
}
