import type { Scope } from './scope.ts';

/**
 * Who is asking, as the authenticator resolved it from a request's credentials.
 * Immutable; the same object may be handed to many requests (one per static token).
 */
export interface Principal {
  /** The token's configured name, the JWT's `sub`, or `anonymous` when auth is off. */
  readonly name: string;
  /** How the principal was established. */
  readonly via: 'token' | 'oidc' | 'anonymous';
  readonly scopes: ReadonlySet<Scope>;
  /**
   * The tenant the credentials are bound to (a token's `tenant`, the OIDC tenant
   * claim); undefined when they are not bound and the request's header decides.
   */
  readonly tenant: string | undefined;
}

/** A principal plus the tenant this one request acts for. */
export interface RequestIdentity {
  readonly principal: Principal;
  /** The bound tenant, else the tenant header's value, else undefined (no tenant named). */
  readonly tenant: string | undefined;
}
