import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LoginNotConfiguredError } from '../errors.ts';
import { LOGIN_COOKIE, type OidcLogin, SESSION_COOKIE } from './oidc-login.ts';
import {
  checkCsrf,
  cookieHeader,
  cookieValue,
  isTlsRequest,
  requestOrigin,
} from './session-cookies.ts';

const logins = new WeakMap<FastifyInstance, OidcLogin>();

/** Gives a query app the UI's sign-in (SecurityLayer.fastify does, for the query listener). */
export function attachOidcLogin(app: FastifyInstance, login: OidcLogin): void {
  logins.set(app, login);
}

/** What `GET /api/session` answers: who the browser is signed in as, and the CSRF token. */
export interface SessionAnswer {
  /** Whether this listener offers sign-in at `/login`. */
  login: boolean;
  signedIn: boolean;
  /** The principal's name (the ID token's `sub`), when signed in. */
  name?: string;
  scopes?: string[];
  tenant?: string;
  /** Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE. */
  csrfToken?: string;
  /** Epoch ms at which the session ends. */
  expiresAt?: number;
}

/**
 * The UI's sign-in routes, on every query app (the route table lists them once for
 * both query ports): `GET /login` (to the issuer), `GET /login/callback` (back from
 * it: session cookie set), `POST /logout` (session ended, cookie cleared; needs the
 * CSRF token) and `GET /api/session`. Without an attached OidcLogin, the first three
 * answer SKEIN_LOGIN_NOT_CONFIGURED and `/api/session` says `{login: false}`.
 */
export function registerSessionRoutes(app: FastifyInstance): void {
  const login = () => logins.get(app);
  const secure = (request: FastifyRequest, l: OidcLogin) =>
    l.settings.cookieSecure || isTlsRequest(request.raw);
  const redirectUri = (request: FastifyRequest, l: OidcLogin) =>
    l.settings.redirectUrl ?? `${requestOrigin(request.raw) ?? 'http://localhost'}/login/callback`;
  const configuredOrigin = (l: OidcLogin) =>
    l.settings.redirectUrl === undefined ? undefined : new URL(l.settings.redirectUrl).origin;
  const required = (request: FastifyRequest): OidcLogin => {
    const l = login();
    if (l === undefined) throw new LoginNotConfiguredError([request.url.split('?')[0]]);
    return l;
  };

  app.get('/login', async (request: FastifyRequest, reply: FastifyReply) => {
    const l = required(request);
    const returnTo = (request.query as Record<string, unknown>).returnTo;
    const { url, loginId } = await l.begin(
      redirectUri(request, l),
      typeof returnTo === 'string' ? returnTo : undefined,
    );
    return reply
      .header('cache-control', 'no-store')
      .header(
        'set-cookie',
        cookieHeader(LOGIN_COOKIE, loginId, {
          path: '/login',
          maxAgeSeconds: 600,
          secure: secure(request, l),
        }),
      )
      .redirect(url.href, 302);
  });

  app.get('/login/callback', async (request: FastifyRequest, reply: FastifyReply) => {
    const l = required(request);
    const q = request.url.indexOf('?');
    const loginId = cookieValue(request.headers.cookie, LOGIN_COOKIE);
    const isSecure = secure(request, l);
    const cleared = cookieHeader(LOGIN_COOKIE, '', {
      path: '/login',
      maxAgeSeconds: 0,
      secure: isSecure,
    });
    reply.header('cache-control', 'no-store');
    let done;
    try {
      done = await l.complete(loginId, q === -1 ? '' : request.url.slice(q + 1));
    } catch (err) {
      reply.header('set-cookie', cleared);
      throw err;
    }
    return reply
      .header('set-cookie', [
        cleared,
        cookieHeader(SESSION_COOKIE, done.id, {
          path: '/',
          maxAgeSeconds: (done.session.expiresAt - Date.now()) / 1000,
          secure: isSecure,
        }),
      ])
      .redirect(done.returnTo, 302);
  });

  app.post('/logout', async (request: FastifyRequest, reply: FastifyReply) => {
    const l = required(request);
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = id === undefined ? undefined : l.sessions.find(id);
    if (id !== undefined && session !== undefined) {
      checkCsrf(request.raw, session, configuredOrigin(l));
      l.sessions.end(id);
    }
    return reply
      .header('cache-control', 'no-store')
      .header(
        'set-cookie',
        cookieHeader(SESSION_COOKIE, '', {
          path: '/',
          maxAgeSeconds: 0,
          secure: secure(request, l),
        }),
      )
      .send({ signedOut: true });
  });

  app.get('/api/session', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    const l = login();
    if (l === undefined) return { login: false, signedIn: false } satisfies SessionAnswer;
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = id === undefined ? undefined : l.sessions.find(id);
    if (session === undefined) return { login: true, signedIn: false } satisfies SessionAnswer;
    return {
      login: true,
      signedIn: true,
      name: session.principal.name,
      scopes: [...session.principal.scopes],
      tenant: session.principal.tenant,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    } satisfies SessionAnswer;
  });
}
