import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { CsrfRejectedError } from '../errors.ts';
import { csrfTokenMatches, type UiSession } from './ui-sessions.ts';

/** The header a cookie-signed state-changing request carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** Whether the request came over TLS (the listener serves https). */
export function isTlsRequest(req: IncomingMessage): boolean {
  return (req.socket as TLSSocket).encrypted === true;
}

/** The origin (`scheme://host[:port]`) the request was addressed to, from its Host header. */
export function requestOrigin(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host === undefined || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return undefined;
  return `${isTlsRequest(req) ? 'https' : 'http'}://${host}`;
}

/**
 * A `Set-Cookie` value: HttpOnly and SameSite=Lax always (scripts never read it; a
 * cross-site POST never carries it, a link followed from another site does), Secure
 * when asked. `maxAgeSeconds` 0 deletes the cookie.
 */
export function cookieHeader(
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds: number; secure: boolean },
): string {
  const parts = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Checks a state-changing request that the session cookie signs in: its `Origin` must
 * be the listener's own (or `extraOrigin`, the configured redirect URL's) and its
 * `X-CSRF-Token` the session's token.
 * @throws CsrfRejectedError saying which is missing or wrong.
 */
export function checkCsrf(
  req: IncomingMessage,
  session: UiSession,
  extraOrigin: string | undefined,
): void {
  const origin = req.headers.origin;
  if (origin === undefined) {
    throw new CsrfRejectedError(['the request has no Origin header']);
  }
  if (origin !== requestOrigin(req) && origin !== extraOrigin) {
    throw new CsrfRejectedError([`the request comes from another origin (${origin})`]);
  }
  const presented = req.headers[CSRF_HEADER];
  if (presented === undefined) throw new CsrfRejectedError(['the X-CSRF-Token header is missing']);
  if (!csrfTokenMatches(session, Array.isArray(presented) ? presented[0] : presented)) {
    throw new CsrfRejectedError(["the X-CSRF-Token header is not this session's token"]);
  }
}
