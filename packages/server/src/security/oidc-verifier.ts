import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Principal } from './principal.ts';
import type { Scope } from './scope.ts';
import { isTenantName, type OidcSettings } from './security-settings.ts';

/** Why a JWT was not accepted, in words for the 401's message. */
export class InvalidJwt extends Error {}

/**
 * Bearer JWTs from one OpenID Connect issuer, verified with jose: signature by the
 * issuer's JWKS (fetched once, cached, fetched again when a token names a key id it
 * has not seen: key rotation), `iss`, `aud` when configured, `exp` and `nbf`. The
 * principal's scopes come from the configured claim's values, its tenant from the
 * tenant claim.
 */
export class OidcVerifier {
  readonly #settings: OidcSettings;
  #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  #discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  readonly #cooldownMs: number;

  /**
   * @param jwksCooldownMs the JWKS is fetched again for an unknown key id at most this
   *   often (jose's default, 30 s, keeps a flood of forged key ids from hammering the issuer).
   */
  constructor(settings: OidcSettings, jwksCooldownMs = settings.jwksCooldownMs) {
    this.#settings = settings;
    this.#cooldownMs = jwksCooldownMs;
    if (settings.jwksUri !== '') this.#jwks = this.#remote(settings.jwksUri);
  }

  #remote(uri: string): ReturnType<typeof createRemoteJWKSet> {
    return createRemoteJWKSet(new URL(uri), { cooldownDuration: this.#cooldownMs });
  }

  /**
   * The principal a JWT stands for.
   * @param audience the `aud` it must carry: `security.oidc.audience` for bearer tokens,
   *   the UI's client id for the ID token of a sign-in.
   * @throws InvalidJwt saying why it is not accepted (bad signature, expired, wrong issuer...).
   */
  async verify(jwt: string, audience = this.#settings.audience): Promise<Principal> {
    return this.principalOf(await this.verifiedClaims(jwt, audience));
  }

  /**
   * A JWT's claims once its signature (by the issuer's JWKS), `iss`, `aud`, `exp` and
   * `nbf` are checked.
   * @throws InvalidJwt saying why it is not accepted.
   */
  async verifiedClaims(jwt: string, audience: string | undefined): Promise<JWTPayload> {
    const jwks = this.#jwks ?? (await this.#discover());
    try {
      const { payload } = await jwtVerify(jwt, jwks, {
        issuer: this.#settings.issuer,
        audience,
        clockTolerance: 5,
      });
      return payload;
    } catch (err) {
      throw new InvalidJwt(describe(err), { cause: err });
    }
  }

  /**
   * The principal verified claims stand for: scopes from the scopes claim's values,
   * the tenant from the tenant claim. Bearer tokens and the UI's ID tokens map alike.
   * @throws InvalidJwt when a tenant claim is configured and the claims have no usable one.
   */
  principalOf(payload: JWTPayload): Principal {
    const scopes = new Set<Scope>();
    const granted = claimAt(payload, this.#settings.scopesClaim);
    const values =
      typeof granted === 'string' ? granted.split(' ') : Array.isArray(granted) ? granted : [];
    for (const value of values) {
      const scope = typeof value === 'string' ? this.#settings.scopeValues.get(value) : undefined;
      if (scope !== undefined) scopes.add(scope);
    }
    let tenant: string | undefined;
    if (this.#settings.tenantClaim.length > 0) {
      const claimed = claimAt(payload, this.#settings.tenantClaim);
      if (typeof claimed !== 'string' || !isTenantName(claimed)) {
        throw new InvalidJwt(
          `the token has no usable tenant claim "${this.#settings.tenantClaim.join('.')}"`,
        );
      }
      tenant = claimed;
    }
    return {
      name: typeof payload.sub === 'string' ? payload.sub : 'oidc',
      via: 'oidc',
      scopes,
      tenant,
    };
  }

  /** The JWKS URL from the issuer's discovery document (asked again after a failure). */
  #discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.#discovering ??= (async () => {
      const url = `${this.#settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      let jwksUri: unknown;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        jwksUri = ((await res.json()) as { jwks_uri?: unknown }).jwks_uri;
      } catch (err) {
        throw new InvalidJwt(`cannot read the issuer's ${url}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (typeof jwksUri !== 'string') throw new InvalidJwt(`${url} names no jwks_uri`);
      this.#jwks = this.#remote(jwksUri);
      return this.#jwks;
    })();
    const discovering = this.#discovering;
    discovering.catch(() => {
      if (this.#discovering === discovering) this.#discovering = undefined;
    });
    return discovering;
  }
}

function claimAt(payload: JWTPayload, path: readonly string[]): unknown {
  let node: unknown = payload;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed)
    return `the token's ${err.claim} is not accepted (${err.reason})`;
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return 'the token signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey)
    return "no key of the issuer's JWKS matches the token";
  if (err instanceof errors.JOSEError) return `the token is not accepted (${err.code})`;
  return `the token could not be checked: ${(err as Error).message}`;
}
