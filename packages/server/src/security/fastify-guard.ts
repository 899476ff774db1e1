import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import type { Authenticator } from './authenticator.ts';
import { CorsPolicy } from './cors-policy.ts';
import { ResponseHeaders } from './response-headers.ts';
import { httpCredentials } from './http-guard.ts';
import { setIdentity } from './identity.ts';
import type { RequestIdentity } from './principal.ts';
import { type OidcLogin, SESSION_COOKIE, sessionEndedError } from './oidc-login.ts';
import { refusalFor } from './refusal.ts';
import type { NeededScope, RouteScopeTable } from './route-scopes.ts';
import { checkCsrf, cookieValue } from './session-cookies.ts';
import type { UiSession } from './ui-sessions.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Puts a Fastify app behind the route table: registering a route the table does
 * not declare throws (so the app cannot start: the build fails), and every request
 * passes the authenticator in an onRequest hook before anything else runs. Refusals
 * are thrown to the app's error handler (which words them in the route family's
 * envelope) with `WWW-Authenticate` / `Retry-After` already set on the reply.
 * Every answer carries the security headers (ResponseHeaders: CSP, nosniff, no
 * referrer, no framing); with a CORS policy, allowed origins get CORS headers and
 * preflights are answered before authentication.
 *
 * With the UI's OIDC sign-in (`login`), a `skein_session` cookie naming a live
 * session is credentials too (when no `Authorization` is sent): its principal is
 * authorized like a bearer token's, and a state-changing request it signs in must
 * pass the CSRF check (own Origin, `X-CSRF-Token`). A browser navigating to a UI
 * page (GET, `Accept: text/html`) without credentials is sent to `/login` instead
 * of being served the page.
 *
 * Call before any route is registered.
 */
export function protectFastify(
  app: FastifyInstance,
  authenticator: Authenticator,
  table: RouteScopeTable,
  cors?: CorsPolicy,
  /** false: pages get only `frame-ancestors 'none'` (a third-party UI whose scripts Skein has not checked). */
  pageScriptPolicy = true,
  login?: OidcLogin,
): void {
  const extraOrigin =
    login?.settings.redirectUrl === undefined
      ? undefined
      : new URL(login.settings.redirectUrl).origin;
  const responseHeaders = new ResponseHeaders();
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(ResponseHeaders.common);
    if (!reply.hasHeader('content-security-policy')) {
      const type = String(reply.getHeader('content-type') ?? '');
      const page =
        type.startsWith('text/html') && (typeof payload === 'string' || Buffer.isBuffer(payload));
      reply.header(
        'content-security-policy',
        page && !pageScriptPolicy
          ? "frame-ancestors 'none'"
          : page
            ? responseHeaders.policyForPayload(
                payload as Buffer | string,
                reply.getHeader('content-encoding') === 'gzip',
              )
            : ResponseHeaders.strictPolicy,
      );
    }
    done(null, payload);
  });
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
      const origin = request.headers.origin;
      if (cors !== undefined && origin !== undefined) {
        const preflight = CorsPolicy.isPreflight(request.method, request.headers);
        const headers = cors.headersFor(origin, preflight);
        reply.headers(headers);
        if (preflight) {
          // Answered here: browsers send no credentials with a preflight.
          reply.code('access-control-allow-origin' in headers ? 204 : 403).send();
          return;
        }
      }
      const url = request.routeOptions.url;
      const scope: NeededScope =
        url === undefined
          ? 'authenticated'
          : (table.declared(`${request.method} ${url}`) ?? 'authenticated');
      let credentials = httpCredentials(request.raw, tenantHeaders);
      let session: UiSession | undefined;
      let staleCookie = false;
      if (login !== undefined && credentials.authorization === undefined) {
        const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
        if (id !== undefined) {
          session = login.sessions.find(id);
          staleCookie = session === undefined;
          if (session !== undefined) credentials = { ...credentials, session: session.principal };
        }
        if (
          session === undefined &&
          authenticator.enforced &&
          scope === 'public' &&
          (url === '/' || url === '/*') &&
          request.method === 'GET' &&
          /\btext\/html\b/.test(request.headers.accept ?? '')
        ) {
          reply
            .header('cache-control', 'no-store')
            .redirect(`/login?returnTo=${encodeURIComponent(request.url)}`, 302);
          return;
        }
      }
      const refuse = (err: unknown) => {
        const refusal = refusalFor(err, scope, credentials.authorization !== undefined);
        if (refusal !== undefined) reply.headers(refusal.headers);
        done(err as Error);
      };
      let result: RequestIdentity | Promise<RequestIdentity>;
      try {
        if (staleCookie && scope !== 'public' && authenticator.enforced) throw sessionEndedError();
        if (session !== undefined && scope !== 'public' && !SAFE_METHODS.has(request.method)) {
          checkCsrf(request.raw, session, extraOrigin);
        }
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
