import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import type { Authenticator } from './authenticator.ts';
import { httpCredentials } from './http-guard.ts';
import { setIdentity } from './identity.ts';
import type { RequestIdentity } from './principal.ts';
import { refusalFor } from './refusal.ts';
import type { NeededScope, RouteScopeTable } from './route-scopes.ts';

/**
 * Puts a Fastify app behind the route table: registering a route the table does
 * not declare throws (so the app cannot start: the build fails), and every request
 * passes the authenticator in an onRequest hook before anything else runs. Refusals
 * are thrown to the app's error handler (which words them in the route family's
 * envelope) with `WWW-Authenticate` / `Retry-After` already set on the reply.
 *
 * Call before any route is registered.
 */
export function protectFastify(
  app: FastifyInstance,
  authenticator: Authenticator,
  table: RouteScopeTable,
): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (table.declared(`${method} ${route.url}`) === undefined) {
        throw new Error(
          `route ${method} ${route.url} on the ${table.listener} listener declares no scope: add it to packages/server/src/security/route-scopes.ts`,
        );
      }
    }
  });
  const tenantHeaders = authenticator.settings.tenantHeaders;
  app.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const url = request.routeOptions.url;
      const scope: NeededScope =
        url === undefined
          ? 'authenticated'
          : (table.declared(`${request.method} ${url}`) ?? 'authenticated');
      const credentials = httpCredentials(request.raw, tenantHeaders);
      const refuse = (err: unknown) => {
        const refusal = refusalFor(err, scope, credentials.authorization !== undefined);
        if (refusal !== undefined) reply.headers(refusal.headers);
        done(err as Error);
      };
      let result: RequestIdentity | Promise<RequestIdentity>;
      try {
        result = authenticator.authenticate(credentials, scope, table.listener);
      } catch (err) {
        refuse(err);
        return;
      }
      if (result instanceof Promise) {
        result.then((identity) => {
          setIdentity(request.raw, identity);
          done();
        }, refuse);
      } else {
        setIdentity(request.raw, result);
        done();
      }
    },
  );
}
