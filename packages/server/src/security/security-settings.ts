import { createHash } from 'node:crypto';
import type { SkeinConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import type { Principal } from './principal.ts';
import { isScope, SCOPES, type Scope } from './scope.ts';

/** A static token as the authenticator keeps it: the SHA-256 of its secret, never the secret. */
export interface HashedToken {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/** `security.oidc`, checked. */
export interface OidcSettings {
  readonly issuer: string;
  readonly audience: string | undefined;
  /** '' when it is to be discovered from the issuer. */
  readonly jwksUri: string;
  /** The scopes claim's path, split at dots. */
  readonly scopesClaim: readonly string[];
  /** Claim value → the scope it grants. */
  readonly scopeValues: ReadonlyMap<string, Scope>;
  /** The tenant claim's path, split at dots; empty: no tenant from the token. */
  readonly tenantClaim: readonly string[];
  /** An unknown key id fetches the JWKS again at most this often, ms. */
  readonly jwksCooldownMs: number;
  /** The UI's sign-in (authorization code + PKCE), when `security.oidc.clientId` is set. */
  readonly login: OidcLoginSettings | undefined;
}

/** `security.oidc.clientId` and the keys of the UI's sign-in, checked. */
export interface OidcLoginSettings {
  readonly clientId: string;
  /** undefined: a public client (PKCE alone, no client authentication). */
  readonly clientSecret: string | undefined;
  /** undefined: `<scheme>://<Host>/login/callback` of each request. */
  readonly redirectUrl: string | undefined;
  /** The OAuth `scope` parameter; always holds `openid`. */
  readonly scope: string;
  /** `Secure` on the cookies even when the listener is plain HTTP. */
  readonly cookieSecure: boolean;
  readonly sessionTtlMs: number;
}

/** `security.*` compiled once at start: secrets hashed, values checked. */
export interface SecuritySettings {
  /** Whether credentials are checked at all. */
  readonly enforced: boolean;
  readonly tokens: readonly HashedToken[];
  readonly oidc: OidcSettings | undefined;
  /** Lower-case header names naming the tenant, in order of preference. */
  readonly tenantHeaders: readonly string[];
  readonly metricsOpen: boolean;
  readonly maxFailuresPerMinute: number;
}

const HASHED = /^sha256:([0-9a-fA-F]{64})$/;
/** Shorter secrets can be guessed; a token is something a machine generates. */
const MIN_SECRET_LENGTH = 16;
const TENANT = /^[A-Za-z0-9._-]{1,128}$/;

/** The SHA-256 of a presented secret, comparable with `HashedToken.digest`. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Checks `security.*` and hashes plain secrets.
 * @throws ConfigError naming the offending key and what it accepts.
 */
export function compileSecuritySettings(config: SkeinConfig): SecuritySettings {
  const s = config.security;
  if (s.auth !== 'auto' && s.auth !== 'on' && s.auth !== 'off') {
    throw new ConfigError(['security.auth', `must be auto, on or off, got "${s.auth}"`]);
  }
  const tokens = s.tokens.map((t, i) => compileToken(t, i));
  const names = new Set<string>();
  for (const t of tokens) {
    if (names.has(t.principal.name))
      throw new ConfigError([`security.tokens`, `two tokens are named "${t.principal.name}"`]);
    names.add(t.principal.name);
  }
  for (let i = 0; i < tokens.length; i++) {
    for (let j = i + 1; j < tokens.length; j++) {
      if (tokens[i].digest.equals(tokens[j].digest))
        throw new ConfigError([
          `security.tokens[${j}]`,
          `has the same secret as "${tokens[i].principal.name}"; give each token its own secret`,
        ]);
    }
  }
  const oidc = compileOidc(config);
  const hasCredentials = tokens.length > 0 || oidc !== undefined;
  if (s.auth === 'on' && !hasCredentials) {
    throw new ConfigError([
      'security.auth',
      'is "on" but no credentials are configured: add security.tokens or security.oidc.issuer',
    ]);
  }
  if (!/^[A-Za-z0-9-]+$/.test(s.tenantHeader)) {
    throw new ConfigError([
      'security.tenantHeader',
      `must be a header name, got "${s.tenantHeader}"`,
    ]);
  }
  if (!Number.isInteger(s.maxFailuresPerMinute) || s.maxFailuresPerMinute <= 0) {
    throw new ConfigError([
      'security.maxFailuresPerMinute',
      `must be a positive integer, got ${s.maxFailuresPerMinute}`,
    ]);
  }
  for (const [key, origins] of Object.entries(s.cors)) {
    for (const origin of origins) {
      if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin))
        throw new ConfigError([
          `security.cors.${key}`,
          `"${origin}" is not an origin: write scheme://host[:port] (no path), or *`,
        ]);
    }
  }
  const tenantHeaders = [s.tenantHeader.toLowerCase()];
  if (!tenantHeaders.includes('x-tenant')) tenantHeaders.push('x-tenant');
  return {
    enforced: s.auth === 'on' || (s.auth === 'auto' && hasCredentials),
    tokens,
    oidc,
    tenantHeaders,
    metricsOpen: s.metricsOpen,
    maxFailuresPerMinute: s.maxFailuresPerMinute,
  };
}

/** True for a tenant name Skein accepts (letters, digits, `.`, `_`, `-`; at most 128). */
export function isTenantName(value: string): boolean {
  return TENANT.test(value);
}

function compileToken(raw: unknown, i: number): HashedToken {
  const where = `security.tokens[${i}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([where, 'expected {name, secret, scopes, tenant?}']);
  }
  const t = raw as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!['name', 'secret', 'scopes', 'tenant'].includes(key))
      throw new ConfigError([
        `${where}.${key}`,
        'unknown key; known keys: name, secret, scopes, tenant',
      ]);
  }
  if (typeof t.name !== 'string' || t.name === '')
    throw new ConfigError([`${where}.name`, 'required: a name for logs and metrics']);
  if (typeof t.secret !== 'string' || t.secret === '')
    throw new ConfigError([
      `${where}.secret`,
      'required: sha256:<hex> of the secret, or ${env:NAME} naming a variable that holds it',
    ]);
  let digest: Buffer;
  const hashed = HASHED.exec(t.secret);
  if (hashed !== null) {
    digest = Buffer.from(hashed[1], 'hex');
  } else if (t.secret.startsWith('sha256:')) {
    throw new ConfigError([
      `${where}.secret`,
      'a sha256: secret must be followed by 64 hex digits',
    ]);
  } else if (t.secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError([
      `${where}.secret`,
      `is ${t.secret.length} characters; use at least ${MIN_SECRET_LENGTH} random ones (openssl rand -hex 32)`,
    ]);
  } else {
    digest = secretDigest(t.secret);
  }
  if (!Array.isArray(t.scopes) || t.scopes.length === 0)
    throw new ConfigError([`${where}.scopes`, `required: a list of ${SCOPES.join(', ')}`]);
  const scopes = new Set<Scope>();
  for (const scope of t.scopes) {
    if (!isScope(scope))
      throw new ConfigError([
        `${where}.scopes`,
        `unknown scope ${JSON.stringify(scope)}; scopes are ${SCOPES.join(', ')}`,
      ]);
    scopes.add(scope);
  }
  let tenant: string | undefined;
  if (t.tenant !== undefined && t.tenant !== '') {
    if (typeof t.tenant !== 'string' || !isTenantName(t.tenant))
      throw new ConfigError([
        `${where}.tenant`,
        'must be letters, digits, ".", "_" or "-" (at most 128)',
      ]);
    tenant = t.tenant;
  }
  return { digest, principal: Object.freeze({ name: t.name, via: 'token', scopes, tenant }) };
}

function compileOidc(config: SkeinConfig): OidcSettings | undefined {
  const o = config.security.oidc;
  if (o.issuer === '') {
    if (o.clientId !== '')
      throw new ConfigError([
        'security.oidc.clientId',
        'is set but security.oidc.issuer is empty: name the issuer the UI signs in with',
      ]);
    return undefined;
  }
  for (const [key, value] of [
    ['issuer', o.issuer],
    ['jwksUri', o.jwksUri],
  ] as const) {
    if (value === '') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError([`security.oidc.${key}`, `must be a URL, got "${value}"`]);
    }
    if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname))
      throw new ConfigError([
        `security.oidc.${key}`,
        'must be https (plain http is accepted for a loopback issuer only)',
      ]);
  }
  if (!Number.isFinite(o.jwksCooldownSeconds) || o.jwksCooldownSeconds < 0)
    throw new ConfigError([
      'security.oidc.jwksCooldownSeconds',
      `must be 0 or more, got ${o.jwksCooldownSeconds}`,
    ]);
  if (o.scopesClaim === '')
    throw new ConfigError(['security.oidc.scopesClaim', 'must name a claim']);
  const scopeValues = new Map<string, Scope>();
  for (const scope of SCOPES) {
    const value = o.scopeValues[scope];
    if (value !== '') scopeValues.set(value, scope);
  }
  return {
    issuer: o.issuer,
    audience: o.audience === '' ? undefined : o.audience,
    jwksUri: o.jwksUri,
    scopesClaim: o.scopesClaim.split('.'),
    scopeValues,
    tenantClaim: o.tenantClaim === '' ? [] : o.tenantClaim.split('.'),
    jwksCooldownMs: o.jwksCooldownSeconds * 1000,
    login: compileLogin(o),
  };
}

function compileLogin(o: SkeinConfig['security']['oidc']): OidcLoginSettings | undefined {
  if (o.clientId === '') {
    if (o.clientSecret !== '' || o.redirectUrl !== '')
      throw new ConfigError([
        'security.oidc.clientId',
        "is empty but clientSecret or redirectUrl is set: name the UI's client id at the issuer",
      ]);
    return undefined;
  }
  let redirectUrl: string | undefined;
  if (o.redirectUrl !== '') {
    let url: URL;
    try {
      url = new URL(o.redirectUrl);
    } catch {
      throw new ConfigError(['security.oidc.redirectUrl', `must be a URL, got "${o.redirectUrl}"`]);
    }
    if (url.pathname !== '/login/callback' || url.search !== '' || url.hash !== '')
      throw new ConfigError([
        'security.oidc.redirectUrl',
        `must end in /login/callback (the route that finishes the sign-in), got "${o.redirectUrl}"`,
      ]);
    redirectUrl = url.href;
  }
  const scope = o.loginScope.split(/\s+/).filter((v) => v !== '');
  if (!scope.includes('openid')) scope.unshift('openid');
  if (!Number.isFinite(o.sessionTtlSeconds) || o.sessionTtlSeconds < 1)
    throw new ConfigError([
      'security.oidc.sessionTtlSeconds',
      `must be at least 1, got ${o.sessionTtlSeconds}`,
    ]);
  return {
    clientId: o.clientId,
    clientSecret: o.clientSecret === '' ? undefined : o.clientSecret,
    redirectUrl,
    scope: scope.join(' '),
    cookieSecure: o.cookieSecure,
    sessionTtlMs: o.sessionTtlSeconds * 1000,
  };
}

/** True for `localhost` and loopback IP literals. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return (
    h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1'
  );
}
