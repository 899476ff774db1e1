import { isSkeinError, type SkeinError } from '../errors.ts';
import { AuthenticationRequiredError, PermissionDeniedError } from '../errors.ts';
import type { NeededScope } from './route-scopes.ts';

/** How a guard answers a refused request: the coded error and the headers that go with it. */
export interface Refusal {
  error: SkeinError;
  headers: Record<string, string>;
}

/**
 * The error and headers for a failed authentication: `WWW-Authenticate` (RFC 6750)
 * on 401 and 403, `Retry-After` on 429. Anything not coded becomes undefined (the
 * caller answers it as an internal error).
 */
export function refusalFor(
  err: unknown,
  scope: NeededScope,
  hadCredentials: boolean,
): Refusal | undefined {
  if (!isSkeinError(err)) return undefined;
  const headers: Record<string, string> = {};
  if (err.code === AuthenticationRequiredError.code) {
    headers['www-authenticate'] = hadCredentials
      ? 'Bearer realm="skein", error="invalid_token"'
      : 'Bearer realm="skein"';
  } else if (
    err.code === PermissionDeniedError.code &&
    scope !== 'public' &&
    scope !== 'authenticated'
  ) {
    headers['www-authenticate'] =
      `Bearer realm="skein", error="insufficient_scope", scope="${scope}"`;
  }
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
  return { error: err, headers };
}
