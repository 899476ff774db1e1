import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServerInterceptingCall } from '@grpc/grpc-js';
import type {
  ServerInterceptingCallInterface,
  ServerInterceptor,
  ServerMethodDefinition,
  ServiceDefinition,
} from '@grpc/grpc-js';
import type { GrpcGuard } from './grpc-guard.ts';
import type { HttpGuard } from './http-guard.ts';

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

  constructor(routes: readonly string[]) {
    this.routes = routes;
  }

  get guard(): HttpGuard | undefined {
    return this.#guard;
  }

  /** @throws Error when one of the server's routes has no scope in the route table. */
  protect(guard: HttpGuard): void {
    guard.checkDeclared(this.routes);
    this.#guard = guard;
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
