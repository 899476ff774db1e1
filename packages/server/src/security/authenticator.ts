import { Counter, type Registry } from 'prom-client';
import {
  AuthenticationRequiredError,
  AuthRateLimitedError,
  InvalidParameterError,
  PermissionDeniedError,
} from '../errors.ts';
import { FailedAttempts } from './failed-attempts.ts';
import { InvalidJwt, OidcVerifier } from './oidc-verifier.ts';
import type { Principal, RequestIdentity } from './principal.ts';
import type { NeededScope } from './route-scopes.ts';
import { SCOPES } from './scope.ts';
import { isTenantName, type SecuritySettings } from './security-settings.ts';
import { StaticTokens } from './static-tokens.ts';

/** What a request presents, read by the listener's guard. */
export interface Credentials {
  /** The `authorization` header (HTTP) or metadata value (gRPC), if any. */
  readonly authorization: string | undefined;
  /** The first tenant header present (`security.tenantHeader`, then `x-tenant`), if any. */
  readonly tenant: string | undefined;
  /** The client's address, for the failed-attempt limit. */
  readonly source: string;
  /**
   * Who a signed-in UI session cookie stands for, resolved by the query listener's
   * guard (UiSessions); used when no `authorization` is sent. Receivers never set it.
   */
  readonly session?: Principal;
}

/** Knobs for tests. */
export interface AuthenticatorOptions {
  /** The clock of the failed-attempt windows. */
  now?: () => number;
  /** How often an unknown key id may fetch the issuer's JWKS again (default 30 s). */
  jwksCooldownMs?: number;
}

/** Why an authentication failed, as counted in `skein_auth_failures_total{reason}`. */
export type FailureReason =
  'missing' | 'bad_token' | 'bad_jwt' | 'scope' | 'tenant' | 'rate_limited';

const ANONYMOUS: Principal = Object.freeze({
  name: 'anonymous',
  via: 'anonymous',
  scopes: new Set(SCOPES),
  tenant: undefined,
});

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The one door every listener's guard asks: credentials in, an identity (principal
 * plus the tenant the request acts for) out, or a coded error.
 *
 * - `public` routes, and every route while auth is off, get the anonymous principal
 *   (all scopes); the tenant then comes from the tenant header alone.
 * - Credentials: `Authorization: Bearer <secret-or-JWT>`, or `Basic` with the secret
 *   as the password (clients that only speak basic auth). A static token is found by
 *   its hash (StaticTokens); anything shaped like a JWT goes to the OIDC verifier
 *   when an issuer is configured (the only asynchronous case: a promise is returned
 *   then, a plain value otherwise, so token checks on the ingest path stay synchronous).
 * - Errors: AuthenticationRequiredError (no or bad credentials: 401), PermissionDeniedError
 *   (wrong scope, or a tenant header naming another tenant than the token's: 403),
 *   AuthRateLimitedError (429, with retryAfterSeconds) once an address failed more
 *   than `security.maxFailuresPerMinute` times in its minute. Every failure is counted
 *   per listener and reason.
 */
export class Authenticator {
  readonly settings: SecuritySettings;
  readonly #tokens: StaticTokens;
  readonly #oidc: OidcVerifier | undefined;
  readonly #attempts: FailedAttempts;
  readonly #failures: Counter<'listener' | 'reason'>;

  constructor(settings: SecuritySettings, registry: Registry, options: AuthenticatorOptions = {}) {
    this.settings = settings;
    this.#tokens = new StaticTokens(settings.tokens);
    this.#oidc =
      settings.oidc === undefined
        ? undefined
        : new OidcVerifier(settings.oidc, options.jwksCooldownMs);
    this.#attempts = new FailedAttempts(settings.maxFailuresPerMinute, options.now);
    const name = 'skein_auth_failures_total';
    this.#failures =
      (registry.getSingleMetric(name) as Counter<'listener' | 'reason'> | undefined) ??
      new Counter({
        name,
        help: 'Requests refused for their credentials, by listener and reason (missing, bad_token, bad_jwt, scope, tenant, rate_limited)',
        labelNames: ['listener', 'reason'],
        registers: [registry],
      });
  }

  /** The OIDC issuer's JWT checks, when `security.oidc.issuer` is set (the UI's sign-in uses them too). */
  get oidc(): OidcVerifier | undefined {
    return this.#oidc;
  }

  /** Whether credentials are checked (security.auth and what is configured). */
  get enforced(): boolean {
    return this.settings.enforced;
  }

  /**
   * The identity for a request to a route needing `scope` on `listener`.
   * @throws AuthenticationRequiredError, PermissionDeniedError, AuthRateLimitedError,
   *   or InvalidParameterError for a malformed tenant header.
   */
  authenticate(
    credentials: Credentials,
    scope: NeededScope,
    listener: string,
  ): RequestIdentity | Promise<RequestIdentity> {
    if (scope === 'public' || !this.settings.enforced) {
      return { principal: ANONYMOUS, tenant: checkedTenant(credentials.tenant) };
    }
    const blocked = this.#attempts.blockedFor(credentials.source);
    if (blocked > 0) {
      this.#failures.inc({ listener, reason: 'rate_limited' });
      throw new AuthRateLimitedError([credentials.source, this.#attempts.limit], {
        retryAfterSeconds: blocked,
      });
    }
    if (credentials.authorization === undefined && credentials.session !== undefined) {
      return this.#authorize(credentials.session, credentials, scope, listener);
    }
    const secret = presentedSecret(credentials.authorization);
    if (secret === undefined) {
      this.#failures.inc({ listener, reason: 'missing' });
      const why =
        credentials.authorization === undefined
          ? 'no credentials were sent'
          : 'the authorization header is neither "Bearer <token>" nor "Basic <base64>"';
      throw new AuthenticationRequiredError([why, needs(scope)]);
    }
    const principal = this.#tokens.find(secret);
    if (principal !== undefined) return this.#authorize(principal, credentials, scope, listener);
    if (this.#oidc !== undefined && JWT_SHAPE.test(secret)) {
      return this.#oidc.verify(secret).then(
        (p) => this.#authorize(p, credentials, scope, listener),
        (err: unknown) => {
          if (!(err instanceof InvalidJwt)) throw err;
          this.#fail(credentials.source, listener, 'bad_jwt');
          throw new AuthenticationRequiredError([err.message, needs(scope)], { cause: err });
        },
      );
    }
    this.#fail(credentials.source, listener, 'bad_token');
    throw new AuthenticationRequiredError(['the token is not one Skein knows', needs(scope)]);
  }

  #authorize(
    principal: Principal,
    credentials: Credentials,
    scope: NeededScope,
    listener: string,
  ): RequestIdentity {
    if (scope !== 'public' && scope !== 'authenticated' && !principal.scopes.has(scope)) {
      // Valid credentials used on the wrong route are a mistake, not a guess: counted, not limited.
      this.#failures.inc({ listener, reason: 'scope' });
      const has = [...principal.scopes].join(', ') || 'no scope';
      throw new PermissionDeniedError([
        `"${principal.name}"`,
        `has ${has}; this endpoint needs the "${scope}" scope`,
      ]);
    }
    const asked = checkedTenant(credentials.tenant);
    if (principal.tenant !== undefined) {
      if (asked !== undefined && asked !== principal.tenant) {
        this.#failures.inc({ listener, reason: 'tenant' });
        throw new PermissionDeniedError([
          `"${principal.name}"`,
          `is bound to tenant "${principal.tenant}" and cannot act for "${asked}"; drop the tenant header or send "${principal.tenant}"`,
        ]);
      }
      return { principal, tenant: principal.tenant };
    }
    return { principal, tenant: asked };
  }

  #fail(source: string, listener: string, reason: FailureReason): void {
    this.#failures.inc({ listener, reason });
    this.#attempts.fail(source);
  }
}

/** The secret of `Bearer <secret>` or the password of `Basic base64(user:password)`. */
function presentedSecret(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  if (space <= 0) return undefined;
  const kind = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (value === '') return undefined;
  if (kind === 'bearer') return value;
  if (kind === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 || colon === decoded.length - 1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

function checkedTenant(tenant: string | undefined): string | undefined {
  if (tenant === undefined || tenant === '') return undefined;
  if (!isTenantName(tenant))
    throw new InvalidParameterError([
      'tenant header',
      'must be letters, digits, ".", "_" or "-" (at most 128 characters)',
    ]);
  return tenant;
}

function needs(scope: NeededScope): string {
  return scope === 'public' || scope === 'authenticated'
    ? 'a valid token'
    : `a token with the "${scope}" scope`;
}
