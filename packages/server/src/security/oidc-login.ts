import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import {
  AuthenticationRequiredError,
  LoginFailedError,
  OidcProviderUnavailableError,
} from '../errors.ts';
import type { OidcVerifier } from './oidc-verifier.ts';
import { InvalidJwt } from './oidc-verifier.ts';
import type { OidcLoginSettings, OidcSettings } from './security-settings.ts';
import { UiSessions, type UiSession } from './ui-sessions.ts';

/** The cookie naming a signed-in session. */
export const SESSION_COOKIE = 'skein_session';
/** The cookie binding a sign-in under way to the browser that started it. */
export const LOGIN_COOKIE = 'skein_login';

/** A sign-in started at `/login`, waiting for the issuer to send the browser back. */
interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly returnTo: string;
  readonly expiresAt: number;
}

/** A sign-in must come back from the issuer within this long. */
const LOGIN_TTL_MS = 10 * 60 * 1000;
/** Sign-ins under way kept at most; the oldest goes first beyond it. */
const MAX_PENDING = 1000;

/**
 * The UI's OpenID Connect sign-in: the authorization-code flow with PKCE (S256),
 * `state` and `nonce`, done with openid-client (discovery, the code exchange and the
 * ID token's `iss`/`aud`/`exp`/`nonce` checks). The ID token is then checked again by
 * the same OidcVerifier as bearer JWTs (signature by the issuer's JWKS, audience the
 * client id) and mapped to a principal the same way, so a user signed in at the UI
 * has exactly the scopes and tenant a bearer token with the same claims would have.
 *
 * Sign-ins under way are kept in a bounded map keyed by a random id that the
 * `skein_login` cookie carries (so a callback only completes in the browser that
 * started it); signed-in sessions live in {@link UiSessions}.
 */
export class OidcLogin {
  readonly settings: OidcLoginSettings;
  readonly sessions: UiSessions;
  readonly #oidc: OidcSettings;
  readonly #verifier: OidcVerifier;
  readonly #pending = new Map<string, PendingLogin>();
  readonly #now: () => number;
  #config: Promise<client.Configuration> | undefined;

  constructor(
    oidc: OidcSettings,
    login: OidcLoginSettings,
    verifier: OidcVerifier,
    now: () => number = Date.now,
  ) {
    this.#oidc = oidc;
    this.settings = login;
    this.#verifier = verifier;
    this.#now = now;
    this.sessions = new UiSessions(undefined, now);
  }

  /**
   * Starts a sign-in: the issuer's authorization URL to send the browser to, and the
   * `skein_login` cookie value that must come back with the callback.
   * @param redirectUri this listener's `/login/callback` URL (registered at the issuer).
   * @param returnTo the UI path to land on afterwards (anything but a local path becomes `/`).
   * @throws OidcProviderUnavailableError when the issuer's discovery document cannot be read.
   */
  async begin(
    redirectUri: string,
    returnTo: string | undefined,
  ): Promise<{ url: URL; loginId: string }> {
    const config = await this.#configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingLogin = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      redirectUri,
      returnTo: localPath(returnTo),
      expiresAt: this.#now() + LOGIN_TTL_MS,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    const now = this.#now();
    for (const [id, p] of this.#pending) if (p.expiresAt <= now) this.#pending.delete(id);
    while (this.#pending.size >= MAX_PENDING) {
      this.#pending.delete(this.#pending.keys().next().value as string);
    }
    const loginId = randomBytes(32).toString('base64url');
    this.#pending.set(loginId, pending);
    return { url, loginId };
  }

  /**
   * Finishes a sign-in at `/login/callback`: checks the state against the sign-in the
   * `skein_login` cookie names, exchanges the code (with the PKCE verifier), checks
   * the ID token and starts a session lasting until the ID token expires or
   * `sessionTtlSeconds`, whichever is first.
   * @param query the callback's query string (without `?`).
   * @throws LoginFailedError (no or unknown sign-in, state mismatch, an error from the
   *   issuer, a refused code or ID token), AuthenticationRequiredError-free otherwise;
   *   OidcProviderUnavailableError when the token endpoint cannot be reached.
   */
  async complete(
    loginId: string | undefined,
    query: string,
  ): Promise<{ id: string; session: UiSession; returnTo: string }> {
    const pending = loginId === undefined ? undefined : this.#pending.get(loginId);
    if (loginId !== undefined) this.#pending.delete(loginId);
    if (pending === undefined || pending.expiresAt <= this.#now()) {
      throw new LoginFailedError([
        'this browser has no sign-in under way (the skein_login cookie is missing, unknown or older than 10 minutes)',
      ]);
    }
    const config = await this.#configuration();
    const currentUrl = new URL(pending.redirectUri);
    currentUrl.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw this.#failure(err);
    }
    const idToken = tokens.id_token;
    if (idToken === undefined) throw new LoginFailedError(['the issuer returned no ID token']);
    let claims;
    try {
      claims = await this.#verifier.verifiedClaims(idToken, this.settings.clientId);
    } catch (err) {
      if (err instanceof InvalidJwt)
        throw new LoginFailedError([`the ID token is refused: ${err.message}`], { cause: err });
      throw err;
    }
    let principal;
    try {
      principal = this.#verifier.principalOf(claims);
    } catch (err) {
      if (err instanceof InvalidJwt) throw new LoginFailedError([err.message], { cause: err });
      throw err;
    }
    const now = this.#now();
    const expiresAt = Math.min(
      now + this.settings.sessionTtlMs,
      typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY,
    );
    if (expiresAt <= now) throw new LoginFailedError(['the ID token has already expired']);
    const { id, session } = this.sessions.create(principal, expiresAt);
    return { id, session, returnTo: pending.returnTo };
  }

  /** The issuer's metadata and this client, discovered once (asked again after a failure). */
  #configuration(): Promise<client.Configuration> {
    if (this.#config === undefined) {
      const issuer = new URL(this.#oidc.issuer);
      const secret = this.settings.clientSecret;
      const attempt = client
        .discovery(
          issuer,
          this.settings.clientId,
          secret,
          secret === undefined ? client.None() : client.ClientSecretPost(secret),
          {
            // security-settings allows plain http for a loopback issuer only.
            execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
            timeout: 5,
          },
        )
        .catch((err: unknown) => {
          if (this.#config === attempt) this.#config = undefined;
          throw new OidcProviderUnavailableError(
            [this.#oidc.issuer, `discovery failed: ${(err as Error).message}`],
            { cause: err },
          );
        });
      this.#config = attempt;
    }
    return this.#config;
  }

  #failure(err: unknown): Error {
    if (err instanceof client.AuthorizationResponseError) {
      return new LoginFailedError(
        [
          `the issuer answered ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
        ],
        { cause: err },
      );
    }
    if (err instanceof client.ResponseBodyError) {
      return new LoginFailedError(
        [
          `the token endpoint refused the code: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
        ],
        { cause: err },
      );
    }
    if (err instanceof TypeError || (err as { name?: string }).name === 'TimeoutError') {
      return new OidcProviderUnavailableError(
        [this.#oidc.issuer, `token endpoint: ${(err as Error).message}`],
        { cause: err },
      );
    }
    return new LoginFailedError([(err as Error).message], { cause: err });
  }
}

/** The 401 for a cookie naming a session that ended (signed out, expired, or a restart). */
export function sessionEndedError(): AuthenticationRequiredError {
  return new AuthenticationRequiredError([
    'the sign-in session has ended (signed out, expired, or Skein restarted)',
    'a valid token, or a new sign-in at /login',
  ]);
}

/** A path on this site, else `/` (no open redirect to another origin). */
export function localPath(returnTo: string | undefined): string {
  if (returnTo === undefined || !returnTo.startsWith('/') || returnTo.startsWith('//')) return '/';
  if (returnTo.includes('\\') || /[\r\n]/.test(returnTo)) return '/';
  return returnTo;
}
